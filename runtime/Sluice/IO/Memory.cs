using System.Runtime.CompilerServices;

namespace Sluice;

/// <summary>Sources of input rows.</summary>
public static partial class Source
{
    /// <summary>Rows from memory.</summary>
    public static ISource<T> From<T>(IEnumerable<T> rows) => new EnumerableSource<T>(rows);

    /// <summary>Rows from an async stream.</summary>
    public static ISource<T> From<T>(IAsyncEnumerable<T> rows) => new AsyncEnumerableSource<T>(rows);

    private sealed class EnumerableSource<T>(IEnumerable<T> rows) : ISource<T>
    {
        public string Description => "memory";

        public ISourceReader<T> Open(SourceContext<T> context) =>
            rows is T[] array ? new ArrayReader(array) : new EnumeratorReader(rows.GetEnumerator());

        // Arrays are handed out in slices: the loader reads the caller's rows in place.
        private sealed class ArrayReader(T[] array) : ISourceReader<T>, IChunkedSourceReader<T>
        {
            private int _next;

            public bool TryReadChunk(int max, out ReadOnlyMemory<T> chunk)
            {
                int n = Math.Min(max, array.Length - _next);
                chunk = n > 0 ? array.AsMemory(_next, n) : default;
                _next += Math.Max(n, 0);
                return n > 0;
            }

            public ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                int n = Math.Min(buffer.Length, array.Length - _next);
                array.AsSpan(_next, n).CopyTo(buffer.Span);
                _next += n;
                return new(n);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }

        private sealed class EnumeratorReader(IEnumerator<T> e) : ISourceReader<T>
        {
            public ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                var span = buffer.Span;
                int i = 0;
                while (i < span.Length && e.MoveNext()) span[i++] = e.Current;
                return new(i);
            }

            public ValueTask DisposeAsync()
            {
                e.Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }

    private sealed class AsyncEnumerableSource<T>(IAsyncEnumerable<T> rows) : ISource<T>
    {
        public string Description => "async stream";
        public ISourceReader<T> Open(SourceContext<T> context) => new Reader(rows);

        private sealed class Reader(IAsyncEnumerable<T> rows) : ISourceReader<T>
        {
            private IAsyncEnumerator<T>? _e;
            private Task<bool>? _pending;

            // Returns the rows it has as soon as the next one is not ready: a slow stream's rows
            // must not wait for a full chunk.
            public async ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                _e ??= rows.GetAsyncEnumerator(cancellationToken);
                int i = 0;
                while (i < buffer.Length)
                {
                    ValueTask<bool> next;
                    if (_pending is not null)
                    {
                        if (i > 0 && !_pending.IsCompleted) return i;
                        next = new ValueTask<bool>(_pending);
                        _pending = null;
                    }
                    else
                    {
                        next = _e.MoveNextAsync();
                        if (i > 0 && !next.IsCompleted)
                        {
                            _pending = next.AsTask();
                            return i;
                        }
                    }
                    if (!await next.ConfigureAwait(false)) break;
                    buffer.Span[i++] = _e.Current;
                }
                return i;
            }

            public ValueTask DisposeAsync() => _e?.DisposeAsync() ?? ValueTask.CompletedTask;
        }
    }
}

/// <summary>Destinations of output rows.</summary>
public static partial class Sink
{
    /// <summary>Appends output rows to <paramref name="list"/>.</summary>
    public static ISink<T> To<T>(ICollection<T> list) => new CollectionSink<T>(list);

    /// <summary>Calls <paramref name="write"/> with each chunk of output rows (the memory is reused after the call).</summary>
    public static ISink<T> To<T>(Action<ReadOnlySpan<T>> write) => new ActionSink<T>(write);

    /// <summary>Discards output rows (counts them), giving back their payloads (blobs, images, tensors): nothing else holds them.</summary>
    public static ISink<T> Null<T>() => new NullSink<T>();

    private sealed class CollectionSink<T>(ICollection<T> list) : ISink<T>, ISinkWriter<T>, IDirectSinkWriter<T>
    {
        private int _reserved;

        public string Description => "memory";
        public ISinkWriter<T> Open(SinkContext<T> context) => this;

        public ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
        {
            if (list is List<T> l) l.AddRange(rows.Span);
            else foreach (var r in rows.Span) list.Add(r);
            return ValueTask.CompletedTask;
        }

        // A List<T> receives rows built in place: grow it, hand out the new tail.
        public Span<T> GetSpan(int count)
        {
            if (list is not List<T> l) return (_buffer = new T[count]).AsSpan();
            _reserved = l.Count;
            System.Runtime.InteropServices.CollectionsMarshal.SetCount(l, _reserved + count);
            return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(l).Slice(_reserved, count);
        }

        public void Advance(int count)
        {
            if (list is List<T>) return;
            foreach (var r in _buffer.AsSpan(0, count)) list.Add(r);
        }

        private T[] _buffer = [];

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NullSink<T> : ISink<T>
    {
        public string Description => "null";

        public ISinkWriter<T> Open(SinkContext<T> context) =>
            (context.Codec ?? RowCodec<T>.Default) is { HasPayloads: true } codec
                ? new ActionSink<T>(rows => { foreach (ref readonly var row in rows) codec.DisposePayloads(in row); })
                : new ActionSink<T>(static _ => { });
    }

    private sealed class ActionSink<T>(Action<ReadOnlySpan<T>> write) : ISink<T>, ISinkWriter<T>
    {
        public string Description => "callback";
        public ISinkWriter<T> Open(SinkContext<T> context) => this;

        public ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
        {
            write(rows.Span);
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
