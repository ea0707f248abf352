using Apache.Arrow;
using Apache.Arrow.Ipc;
using Sluice.Arrow;

namespace Sluice.Arrow
{
    /// <summary>
    /// Arrow IPC: the file format (<c>.arrow</c>, <c>.feather</c>: batches plus a footer, random access) and the stream
    /// format (<c>.arrows</c>: batches one after another, for pipes), read and written with Apache.Arrow.
    /// </summary>
    public sealed class ArrowIpcFormat : BatchFileFormat
    {
        private readonly bool _stream;

        private ArrowIpcFormat(bool stream) => _stream = stream;

        /// <summary>The IPC file format.</summary>
        public static ArrowIpcFormat File { get; } = new(stream: false);

        /// <summary>The IPC stream format.</summary>
        public static ArrowIpcFormat Stream { get; } = new(stream: true);

        /// <summary>The format for <paramref name="path"/> by its extension: <c>.arrows</c> is a stream, anything else a file.</summary>
        public static ArrowIpcFormat ForPath(string path) =>
            path.EndsWith(".arrows", StringComparison.OrdinalIgnoreCase) ? Stream : File;

        /// <inheritdoc/>
        public override string Name => _stream ? "Arrow IPC stream" : "Arrow IPC file";

        /// <inheritdoc/>
        public override string Extension => _stream ? ".arrows" : ".arrow";

        /// <inheritdoc/>
        public override IBatchFileReader OpenRead(System.IO.Stream stream, string name, IReadOnlyList<string> columns)
        {
            {
                if (!_stream)
                {
                    // An IPC file ends with its footer and the magic "ARROW1": check before Apache.Arrow seeks for it.
                    Span<byte> magic = stackalloc byte[6];
                    if (stream.Length < 12) throw new InvalidDataException($"too short for an Arrow IPC file ({stream.Length} bytes)");
                    stream.ReadExactly(magic);
                    if (!magic.SequenceEqual("ARROW1"u8)) throw new InvalidDataException("no Arrow IPC file signature (ARROW1); an Arrow stream is read from a .arrows path");
                    stream.Position = 0;
                }
                ArrowStreamReader reader = _stream ? new ArrowStreamReader(stream, leaveOpen: false) : new ArrowFileReader(stream, leaveOpen: false);
                return new Reader(reader);
            }
        }

        /// <inheritdoc/>
        public override IBatchFileWriter OpenWrite(System.IO.Stream stream, Schema schema)
        {
            ArrowStreamWriter writer = _stream ? new ArrowStreamWriter(stream, schema, leaveOpen: false) : new ArrowFileWriter(stream, schema, leaveOpen: false);
            return new Writer(writer);
        }

        private sealed class Reader(ArrowStreamReader reader) : IBatchFileReader
        {
            public Schema Schema => reader.Schema;

            public async ValueTask<RecordBatch?> ReadNextAsync(CancellationToken cancellationToken)
            {
                try
                {
                    return await reader.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException and not IOException and not InvalidDataException)
                {
                    throw new InvalidDataException(e.Message, e); // Apache.Arrow throws what the bytes make it throw
                }
            }

            public ValueTask DisposeAsync()
            {
                reader.Dispose();
                return default;
            }
        }

        private sealed class Writer(ArrowStreamWriter writer) : IBatchFileWriter
        {
            private bool _finished;

            public async ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken) =>
                await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);

            public async ValueTask FinishAsync(CancellationToken cancellationToken)
            {
                if (_finished) return;
                _finished = true;
                await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
            }

            public ValueTask DisposeAsync()
            {
                writer.Dispose();
                return default;
            }
        }
    }
}

namespace Sluice
{
    /// <summary>Arrow IPC sources: <c>Source.Arrow&lt;T&gt;("data/*.arrow")</c>.</summary>
    public static class ArrowSourceExtensions
    {
        extension(Source)
        {
            /// <summary>
            /// Records from Arrow IPC files (<c>.arrow</c>, <c>.feather</c>) or streams (<c>.arrows</c>), paths or globs, batch by
            /// batch; columns are matched to the record's by name.
            /// </summary>
            public static ISource<T> Arrow<T>(params string[] pathsOrGlobs) =>
                new BatchFileSource<T>(ArrowIpcFormat.ForPath(pathsOrGlobs.FirstOrDefault() ?? ""), pathsOrGlobs);
        }

        extension(Sink)
        {
            /// <summary>Records to an Arrow IPC file (or stream, for a <c>.arrows</c> path), <paramref name="batchRows"/> rows a batch.</summary>
            public static ISink<T> Arrow<T>(string path, int batchRows = 65_536) =>
                new BatchFileSink<T>(ArrowIpcFormat.ForPath(path), path, batchRows);

            /// <summary>Records to Arrow IPC files (or streams, for a <c>.arrows</c> path), batches and files cut as <paramref name="options"/> say.</summary>
            public static ISink<T> Arrow<T>(string path, BatchSinkOptions options) =>
                new BatchFileSink<T>(ArrowIpcFormat.ForPath(path), path, options);
        }
    }
}
