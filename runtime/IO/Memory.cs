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
        public ISourceReader<T> Open(SourceContext<T> context) => new Reader(rows);

        private sealed class Reader(IEnumerable<T> rows) : ISourceReader<T>
        {
            private readonly T[]? _array = rows as T[];
            private readonly IEnumerator<T>? _e = rows is T[] ? null : rows.GetEnumerator();
            private int _next;

            public ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                var span = buffer.Span;
                if (_array is not null)
                {
                    int n = Math.Min(span.Length, _array.Length - _next);
                    _array.AsSpan(_next, n).CopyTo(span);
                    _next += n;
                    return new(n);
                }
                int i = 0;
                while (i < span.Length && _e!.MoveNext()) span[i++] = _e.Current;
                return new(i);
            }

            public ValueTask DisposeAsync()
            {
                _e?.Dispose();
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

            public async ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                _e ??= rows.GetAsyncEnumerator(cancellationToken);
                int i = 0;
                while (i < buffer.Length && await _e.MoveNextAsync().ConfigureAwait(false)) buffer.Span[i++] = _e.Current;
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

    /// <summary>Discards output rows (counts them).</summary>
    public static ISink<T> Null<T>() => new ActionSink<T>(static _ => { });

    private sealed class CollectionSink<T>(ICollection<T> list) : ISink<T>, ISinkWriter<T>
    {
        public string Description => "memory";
        public ISinkWriter<T> Open(SinkContext<T> context) => this;

        public ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
        {
            if (list is List<T> l) l.AddRange(rows.Span);
            else foreach (var r in rows.Span) list.Add(r);
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
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
