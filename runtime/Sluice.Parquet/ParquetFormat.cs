using Apache.Arrow;
using Apache.Arrow.Ipc;
using ParquetSharp;
using ParquetSharp.Arrow;
using Sluice.Arrow;

namespace Sluice.Parquet
{
    /// <summary>How a Parquet sink compresses its pages.</summary>
    public enum ParquetCompression
    {
        /// <summary>Snappy: fast, the common default.</summary>
        Snappy,
        /// <summary>Zstandard at <see cref="ParquetWriteOptions.ZstdLevel"/>: smaller files, more CPU.</summary>
        Zstd,
        /// <summary>No compression.</summary>
        None,
    }

    /// <summary>Options of a Parquet sink.</summary>
    public sealed record ParquetWriteOptions
    {
        /// <summary>Page compression (default snappy).</summary>
        public ParquetCompression Compression { get; init; } = ParquetCompression.Snappy;

        /// <summary>The zstd level (default 3, Arrow C++'s and DuckDB's; the levels above 10 are very slow).</summary>
        public int ZstdLevel { get; init; } = 3;

        /// <summary>Rows per row group (default 122,880, DuckDB's).</summary>
        public int RowGroupRows { get; init; } = 122_880;

        /// <summary>Column statistics (min, max, null count) in the footer (default on).</summary>
        public bool Statistics { get; init; } = true;
    }

    /// <summary>
    /// Parquet through ParquetSharp's Arrow API. Reading gives the row groups one after another as record batches of only
    /// the columns asked for; writing takes record batches, a row group per <see cref="ParquetWriteOptions.RowGroupRows"/>.
    /// </summary>
    public sealed class ParquetFormat(ParquetWriteOptions? options = null) : BatchFileFormat
    {
        private readonly ParquetWriteOptions _options = options ?? new ParquetWriteOptions();

        /// <summary>The format with the default options.</summary>
        public static ParquetFormat Default { get; } = new();

        /// <inheritdoc/>
        public override string Name => "Parquet file";

        /// <summary>Rows per record batch when reading (8,192: a batch of 384-float embeddings is 12 MB decoded).</summary>
        public const int ReadBatchRows = 8192;

        /// <inheritdoc/>
        public override IBatchFileReader OpenRead(string path, IReadOnlyList<string> columns)
        {
            // Check the magic first: ParquetSharp's message for a file that is no Parquet is the C++ exception's text.
            using (var probe = File.OpenRead(path))
            {
                Span<byte> head = stackalloc byte[4];
                if (probe.Length < 12) throw new InvalidDataException($"too short for a Parquet file ({probe.Length} bytes)");
                probe.ReadExactly(head);
                if (!head.SequenceEqual("PAR1"u8)) throw new InvalidDataException("no Parquet signature (PAR1) at the start");
                probe.Seek(-4, SeekOrigin.End);
                probe.ReadExactly(head);
                if (!head.SequenceEqual("PAR1"u8)) throw new InvalidDataException("no Parquet signature (PAR1) at the end: the file is cut short or still being written");
            }
            ParquetSharp.Arrow.FileReader reader;
            try
            {
                using var properties = ReaderProperties.WithMemoryPool(ReadPool);
                using var arrow = ArrowReaderProperties.GetDefault();
                // Batches of ReadBatchRows, not whole row groups: what a batch decodes into managed rows is bounded.
                arrow.BatchSize = ReadBatchRows;
                // No pre-buffering: with it, reading a 2.3 GB file held 2.5 GB resident (the column chunks of row groups ahead)
                // and took 10-20 s; without, 0.8 GB at --memory-limit 512MB and 6 s (docs/columnar.md).
                arrow.PreBuffer = false;
                reader = new ParquetSharp.Arrow.FileReader(path, properties, arrow);
            }
            catch (ParquetException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            try
            {
                return new Reader(reader, LeafColumns(reader, columns));
            }
            catch
            {
                reader.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Arrow C++'s jemalloc pool for reading. ParquetSharp's default, mimalloc, returned each row group's buffers to the
        /// kernel and faulted fresh (zeroed huge) pages in for the next: reading 100,000 rows of 384 floats (155 MB) took
        /// 5.5 s of CPU in a fresh process, 83% in the kernel's clear_page_erms, against 1.2 s with jemalloc (docs/columnar.md).
        /// </summary>
        private static MemoryPool ReadPool => s_pool ??= MemoryPool.JemallocMemoryPool();

        // (Also the writer's pool.)

        private static MemoryPool? s_pool;

        /// <summary>The Parquet leaf columns under the top-level fields named <paramref name="columns"/> (case-insensitive).</summary>
        private static int[] LeafColumns(ParquetSharp.Arrow.FileReader reader, IReadOnlyList<string> columns)
        {
            var wanted = new HashSet<string>(columns, StringComparer.OrdinalIgnoreCase);
            var schema = reader.ParquetReader.FileMetaData.Schema;
            var leaves = new List<int>();
            for (int i = 0; i < schema.NumColumns; i++)
            {
                using var path = schema.Column(i).Path;
                if (wanted.Contains(path.ToDotVector()[0])) leaves.Add(i);
            }
            return leaves.ToArray();
        }

        /// <inheritdoc/>
        public override IBatchFileWriter OpenWrite(string path, Schema schema)
        {
            using var builder = new WriterPropertiesBuilder();
            builder.Compression(_options.Compression switch
            {
                ParquetCompression.Zstd => Compression.Zstd,
                ParquetCompression.None => Compression.Uncompressed,
                _ => Compression.Snappy,
            });
            if (_options.Compression == ParquetCompression.Zstd) builder.CompressionLevel(_options.ZstdLevel);
            if (_options.Statistics) builder.EnableStatistics(); else builder.DisableStatistics();
            builder.MemoryPool(ReadPool); // jemalloc, as for reading (ReadPool)
            using var properties = builder.Build();
            return new Writer(new ParquetSharp.Arrow.FileWriter(path, schema, properties), _options.RowGroupRows);
        }

        private sealed class Reader : IBatchFileReader
        {
            private readonly ParquetSharp.Arrow.FileReader _reader;
            private readonly IArrowArrayStream _stream;

            public Reader(ParquetSharp.Arrow.FileReader reader, int[] columns)
            {
                _reader = reader;
                _stream = reader.GetRecordBatchReader(columns: columns);
                Schema = _stream.Schema;
            }

            public Schema Schema { get; }

            public async ValueTask<RecordBatch?> ReadNextAsync(CancellationToken cancellationToken)
            {
                try
                {
                    return await _stream.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ParquetException e)
                {
                    throw new InvalidDataException(e.Message, e);
                }
            }

            public ValueTask DisposeAsync()
            {
                _stream.Dispose();
                _reader.Dispose();
                return default;
            }
        }

        private sealed class Writer(ParquetSharp.Arrow.FileWriter writer, int rowGroupRows) : IBatchFileWriter
        {
            private bool _closed;

            public ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken)
            {
                writer.WriteRecordBatch(batch, rowGroupRows);
                return default;
            }

            public ValueTask FinishAsync(CancellationToken cancellationToken)
            {
                if (!_closed) { _closed = true; writer.Close(); }
                return default;
            }

            public ValueTask DisposeAsync()
            {
                if (!_closed) { _closed = true; writer.Close(); }
                writer.Dispose();
                return default;
            }
        }
    }
}

namespace Sluice
{
    using Sluice.Parquet;

    /// <summary>Parquet sources and sinks: <c>Source.Parquet&lt;T&gt;("data/*.parquet")</c>, <c>Sink.Parquet&lt;T&gt;("out.parquet")</c>.</summary>
    public static class ParquetSourceExtensions
    {
        extension(Source)
        {
            /// <summary>Records from Parquet files (paths or globs), row group by row group, reading only the columns the pipeline uses.</summary>
            public static ISource<T> Parquet<T>(params string[] pathsOrGlobs) => new BatchFileSource<T>(ParquetFormat.Default, pathsOrGlobs);
        }

        extension(Sink)
        {
            /// <summary>Records to a Parquet file, written under a temporary name and renamed when the run completes.</summary>
            public static ISink<T> Parquet<T>(string path, ParquetWriteOptions? options = null) =>
                new BatchFileSink<T>(options is null ? ParquetFormat.Default : new ParquetFormat(options), path, (options ?? new ParquetWriteOptions()).RowGroupRows);
        }
    }
}
