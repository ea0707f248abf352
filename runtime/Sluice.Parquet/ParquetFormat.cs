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
        internal static ParquetWriteOptions DefaultOptions { get; } = new();

        /// <summary>Page compression (default snappy).</summary>
        public ParquetCompression Compression { get; init; } = ParquetCompression.Snappy;

        /// <summary>The zstd level (default 3, Arrow C++'s and DuckDB's; the levels above 10 are very slow).</summary>
        public int ZstdLevel { get; init; } = 3;

        /// <summary>The most rows in a row group (default 122,880, DuckDB's).</summary>
        public int RowGroupRows { get; init; } = 122_880;

        /// <summary>
        /// About how many bytes of (uncompressed, Arrow) data a row group holds (default 128 MiB): a row group ends at
        /// whichever of this and <see cref="RowGroupRows"/> it reaches first, so wide rows (embeddings, images) do not make
        /// row groups of gigabytes, which a reader must hold whole.
        /// </summary>
        public long RowGroupBytes { get; init; } = 128L << 20;

        /// <summary>
        /// Roll to a new file once a file holds this many bytes (null: one file; see <see cref="BatchSinkOptions.MaxFileBytes"/>
        /// for the names). A file is rolled at the first row group boundary after it reaches the size, and row groups are
        /// kept to a quarter of it (<see cref="RowGroupBytes"/> is lowered when larger), so files end within about a quarter.
        /// </summary>
        public long? MaxFileBytes { get; init; }

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

        /// <summary>
        /// How many row groups of a local file are decoded at once, each by its own reader on its own thread (default 1: one
        /// worker decodes the groups one after another, ahead of the thread that makes the records). Batches come in the
        /// file's order whatever the count; each group in flight holds its column chunks and up to two decoded batches, so
        /// memory grows with it. On two cores more than one gained nothing and tripled the resident memory (a 4 GB file at
        /// a 512 MB limit: 7.5 s and 348 MB with 1, 7.6 s and 1.0 GB with 2; docs/columnar.md); raise it where cores are
        /// idle while decoding. Files read through a stream (<c>s3://</c>) always have one.
        /// </summary>
        public int ReadThreads
        {
            get => _readThreads;
            init => _readThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(ReadThreads), value, "at least 1");
        }

        private readonly int _readThreads = 1;

        /// <summary>
        /// Which code decodes the pages (default <see cref="ParquetDecoder.Auto"/>: Sluice's own over ParquetSharp's column
        /// readers where it knows every column read: on a 1 GB table of 384-float embeddings it decodes in 559 ms against
        /// 1,483 ms for Arrow C++'s batch reader, and reads into records 1.7x faster; benchmarks/RESULTS.md, section 9). <see cref="ParquetDecoder.ArrowCpp"/> always uses Arrow C++'s.
        /// </summary>
        public ParquetDecoder Decoder { get; init; } = ParquetDecoder.Auto;

        /// <inheritdoc/>
        public override string Extension => ".parquet";

        /// <inheritdoc/>
        public override IBatchFileReader OpenRead(Stream stream, string name, IReadOnlyList<string> columns)
        {
            CheckMagic(stream);
            stream.Position = 0;
            return Open((p, a) => new ParquetSharp.Arrow.FileReader(stream, p, a, leaveOpen: false), columns, threads: 1);
        }

        /// <inheritdoc/>
        public override IBatchFileReader OpenRead(string path, IReadOnlyList<string> columns)
        {
            using (var probe = File.OpenRead(path)) CheckMagic(probe);
            return Open((p, a) => new ParquetSharp.Arrow.FileReader(path, p, a), columns, _readThreads);
        }

        /// <summary>Whether <paramref name="reader"/>, opened by a Parquet format, decodes with Sluice's decoder (tests).</summary>
        internal static bool DecodesInManagedCode(IBatchFileReader reader) => reader is RowGroupReader { DecodesInManagedCode: true };

        /// <summary>Checks the magic at both ends first: ParquetSharp's message for a file that is no Parquet is the C++ exception's text.</summary>
        private static void CheckMagic(Stream probe)
        {
            Span<byte> head = stackalloc byte[4];
            if (probe.Length < 12) throw new InvalidDataException($"too short for a Parquet file ({probe.Length} bytes)");
            probe.Position = 0;
            probe.ReadExactly(head);
            if (!head.SequenceEqual("PAR1"u8)) throw new InvalidDataException("no Parquet signature (PAR1) at the start");
            probe.Seek(-4, SeekOrigin.End);
            probe.ReadExactly(head);
            if (!head.SequenceEqual("PAR1"u8)) throw new InvalidDataException("no Parquet signature (PAR1) at the end: the file is cut short or still being written");
        }

        private static ReaderProperties ReadProperties() => ReaderProperties.WithMemoryPool(ReadPool);

        private static ArrowReaderProperties ArrowReadProperties()
        {
            var arrow = ArrowReaderProperties.GetDefault();
            // Batches of ReadBatchRows, not whole row groups: what a batch decodes into managed rows is bounded.
            arrow.BatchSize = ReadBatchRows;
            // No pre-buffering: with it, reading a 2.3 GB file held 2.5 GB resident (the column chunks of row groups ahead)
            // and took 10-20 s; without, 0.8 GB at --memory-limit 512MB and 6 s (docs/columnar.md).
            arrow.PreBuffer = false;
            return arrow;
        }

        private IBatchFileReader Open(Func<ReaderProperties, ArrowReaderProperties, ParquetSharp.Arrow.FileReader> open, IReadOnlyList<string> columns, int threads)
        {
            ParquetSharp.Arrow.FileReader OpenOne()
            {
                try
                {
                    using var properties = ReadProperties();
                    using var arrow = ArrowReadProperties();
                    return open(properties, arrow);
                }
                catch (ParquetException e)
                {
                    throw new InvalidDataException(e.Message, e);
                }
            }
            var reader = OpenOne();
            try
            {
                var leaves = LeafColumns(reader, columns);
                return new RowGroupReader(reader, OpenOne, leaves, Math.Max(1, Math.Min(threads, reader.NumRowGroups)), Decoder);
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
            using var properties = WriteProperties();
            using var arrow = ArrowWriteProperties();
            return new Writer(new ParquetSharp.Arrow.FileWriter(path, schema, properties, arrow), _options);
        }

        /// <inheritdoc/>
        public override IBatchFileWriter OpenWrite(Stream stream, Schema schema)
        {
            using var properties = WriteProperties();
            using var arrow = ArrowWriteProperties();
            try
            {
                return new Writer(new ParquetSharp.Arrow.FileWriter(stream, schema, properties, arrow, leaveOpen: false), _options);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Arrow's writer properties. The Arrow schema is not stored in the file (ARROW:schema): with it, a fixed_size_list
        /// column with null rows could not be read back by Arrow C++ ("Expected all lists to be of size=3 but index 1 had
        /// size=0": Parquet keeps a null list as an empty one). Parquet itself has no fixed-size list, so the file holds a
        /// LIST (DuckDB reads FLOAT[]); a reader whose record declares [FixedSize] checks each row's length.
        /// </summary>
        private static ArrowWriterProperties ArrowWriteProperties()
        {
            using var builder = new ArrowWriterPropertiesBuilder();
            return builder.Build();
        }

        private WriterProperties WriteProperties()
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
            builder.MaxRowGroupLength(_options.RowGroupRows);
            builder.MemoryPool(ReadPool); // jemalloc, as for reading (ReadPool)
            return builder.Build();
        }

        /// <summary>
        /// An error of Arrow C++ reading the file: ParquetSharp's own, or a plain <see cref="Exception"/>, which is what
        /// Apache.Arrow's C stream importer throws with the C++ status text ("IOError: Couldn't deserialize thrift" for a
        /// broken page header).
        /// </summary>
        private static bool IsNativeError(Exception e) => e is ParquetException || e.GetType() == typeof(Exception);

        /// <summary>
        /// Reads the file row group by row group, up to <c>threads</c> groups at once, each worker with its own file reader
        /// (Arrow C++'s readers are not shared between threads), and gives their batches in the file's order. Each row group
        /// has a queue of two batches: a worker whose group is ahead of the one being read waits there, so at most
        /// <c>threads</c> groups are in flight and what is decoded ahead is bounded. One worker decodes while the records of
        /// the batch before are made (RESULTS.md, section 9).
        /// A group that cannot be read is skipped with a <see cref="RowsSkippedException"/> for the rows it did not give, and
        /// the groups after it are read: a broken page costs its row group, not the rest of the file.
        /// </summary>
        private sealed class RowGroupReader : IBatchFileReader
        {
            private readonly ParquetSharp.Arrow.FileReader _first;
            private readonly System.Threading.Channels.Channel<RecordBatch>[] _groups;
            private readonly long[] _groupRows;
            private readonly CancellationTokenSource _stop = new();
            private readonly Task[] _workers;
            private int _nextGroup = -1, _reading;

            /// <summary>Sluice's decoder's plan for the columns read, or null where Arrow C++ decodes them (ColumnDecoding).</summary>
            private readonly ColumnDecoding.ColumnPlan[]? _plan;

            /// <summary>The pooled arrays of each batch made by Sluice's decoder and not yet released.</summary>
            private readonly Dictionary<RecordBatch, List<ColumnDecoding.Pooled>> _owners = new(ReferenceEqualityComparer.Instance);

            public RowGroupReader(ParquetSharp.Arrow.FileReader first, Func<ParquetSharp.Arrow.FileReader> open, int[] columns, int threads, ParquetDecoder decoder)
            {
                _first = first;
                using (var stream = first.GetRecordBatchReader(rowGroups: [], columns: columns)) Schema = stream.Schema;
                if (decoder == ParquetDecoder.Auto) _plan = ColumnDecoding.Plan(Schema, first.ParquetReader.FileMetaData.Schema, columns);
                int count = first.NumRowGroups;
                _groups = new System.Threading.Channels.Channel<RecordBatch>[count];
                _groupRows = new long[count];
                var file = first.ParquetReader; // owned by the reader, as in LeafColumns
                {
                    for (int g = 0; g < count; g++)
                    {
                        using var group = file.RowGroup(g);
                        _groupRows[g] = group.MetaData.NumRows;
                        _groups[g] = System.Threading.Channels.Channel.CreateBounded<RecordBatch>(
                            new System.Threading.Channels.BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
                    }
                }
                _workers = new Task[threads];
                for (int w = 0; w < threads; w++)
                {
                    var reader = w == 0 ? first : null; // the first worker uses the reader that read the footer
                    _workers[w] = Task.Factory.StartNew(() => WorkAsync(reader, open, columns), CancellationToken.None,
                        TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
                }
            }

            public Schema Schema { get; }

            private async Task WorkAsync(ParquetSharp.Arrow.FileReader? reader, Func<ParquetSharp.Arrow.FileReader> open, int[] columns)
            {
                bool mine = reader is null;
                try
                {
                    int g;
                    while (!_stop.IsCancellationRequested && (g = Interlocked.Increment(ref _nextGroup)) < _groups.Length)
                    {
                        var queue = _groups[g].Writer;
                        long given = 0;
                        try
                        {
                            reader ??= open();
                            if (_plan is not null)
                            {
                                using var group = new ColumnDecoding.RowGroup(reader.ParquetReader, g, Schema, _plan);
                                while (!_stop.IsCancellationRequested)
                                {
                                    var owners = new List<ColumnDecoding.Pooled>();
                                    if (group.Next(ReadBatchRows, owners) is not { } batch) break;
                                    lock (_owners) _owners.Add(batch, owners);
                                    try { await queue.WriteAsync(batch, _stop.Token).ConfigureAwait(false); }
                                    catch { Discard(batch); throw; }
                                    given += batch.Length;
                                }
                            }
                            else
                            {
                                using var stream = reader.GetRecordBatchReader(rowGroups: [g], columns: columns);
                                while (await stream.ReadNextRecordBatchAsync(_stop.Token).ConfigureAwait(false) is { } batch)
                                {
                                    try { await queue.WriteAsync(batch, _stop.Token).ConfigureAwait(false); }
                                    catch { batch.Dispose(); throw; }
                                    given += batch.Length;
                                }
                            }
                            queue.TryComplete();
                        }
                        catch (Exception e) when (!_stop.IsCancellationRequested && (IsNativeError(e) || e is IOException or InvalidDataException) && e is not RowsSkippedException)
                        {
                            queue.TryComplete(new RowsSkippedException(Math.Max(0, _groupRows[g] - given),
                                $"row group {g + 1} of {_groups.Length} cannot be read: {e.Message}", e));
                        }
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    // Not a file error (out of memory, a bug): every group not yet read ends with it.
                    foreach (var group in _groups) group.Writer.TryComplete(e);
                }
                finally
                {
                    if (mine) reader?.Dispose();
                }
            }

            public async ValueTask<RecordBatch?> ReadNextAsync(CancellationToken cancellationToken)
            {
                while (_reading < _groups.Length)
                {
                    var queue = _groups[_reading].Reader;
                    if (queue.TryRead(out var batch)) return batch;
                    bool more;
                    try
                    {
                        more = await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        var error = e is System.Threading.Channels.ChannelClosedException { InnerException: { } inner } ? inner : e;
                        _reading++;
                        if (error is RowsSkippedException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                        // Anything else ends the file.
                        _reading = _groups.Length;
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                        throw;
                    }
                    if (!more) _reading++;
                }
                return null;
            }

            /// <summary>Whether Sluice's decoder reads this file (tests).</summary>
            internal bool DecodesInManagedCode => _plan is not null;

            public void Release(RecordBatch batch)
            {
                List<ColumnDecoding.Pooled>? owners;
                lock (_owners) if (!_owners.Remove(batch, out owners)) return;
                foreach (var o in owners) o.Dispose();
            }

            private void Discard(RecordBatch batch)
            {
                batch.Dispose();
                Release(batch);
            }

            public async ValueTask DisposeAsync()
            {
                _stop.Cancel();
                await Task.WhenAll(_workers).ConfigureAwait(false);
                foreach (var g in _groups)
                {
                    g.Writer.TryComplete();
                    while (g.Reader.TryRead(out var batch)) Discard(batch);
                }
                // Batches given and never released are left to the collector: their consumer may still hold them.
                lock (_owners) _owners.Clear();
                _first.Dispose();
                _stop.Dispose();
            }
        }

        /// <summary>
        /// Writes batches into buffered row groups, starting a new group before a batch that would take the group past
        /// RowGroupBytes of Arrow data (the Parquet sink makes batches of an eighth of that, so groups end within an eighth of
        /// it); RowGroupRows is Arrow C++'s max_row_group_length, which splits a batch itself. Batches are not sliced here: a
        /// slice shares its parent's buffers, and releasing the exported slice after the parent crashed Apache.Arrow's
        /// C exporter (NullReferenceException in CArrowArrayExporter.ReleaseArray).
        /// </summary>
        private sealed class Writer(ParquetSharp.Arrow.FileWriter writer, ParquetWriteOptions options) : IBatchFileWriter
        {
            private bool _closed, _started;
            private long _groupBytes, _groupRows;

            public ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken)
            {
                long bytes = ArrowBytes.Of(batch);
                if (!_started || (_groupBytes > 0 && _groupBytes + bytes > options.RowGroupBytes))
                {
                    if (_started) writer.NewBufferedRowGroup();
                    _started = true;
                    _groupBytes = _groupRows = 0;
                }
                writer.WriteBufferedRecordBatch(batch);
                _groupBytes += bytes;
                _groupRows += batch.Length;
                if (_groupRows >= options.RowGroupRows)
                {
                    // Arrow C++ has started a group of its own at the row limit; count from there.
                    _groupRows %= options.RowGroupRows;
                    _groupBytes = _groupRows == 0 ? 0 : bytes * _groupRows / Math.Max(1, batch.Length);
                }
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
            /// <summary>
            /// Records to a Parquet file (or files rolled by <see cref="ParquetWriteOptions.MaxFileBytes"/>; <c>s3://</c> too),
            /// written under a temporary name and renamed when whole.
            /// </summary>
            public static ISink<T> Parquet<T>(string path, ParquetWriteOptions? options = null)
            {
                var o = options ?? ParquetWriteOptions.DefaultOptions;
                ArgumentOutOfRangeException.ThrowIfLessThan(o.RowGroupRows, 1, nameof(options));
                ArgumentOutOfRangeException.ThrowIfLessThan(o.RowGroupBytes, 1, nameof(options));
                // Files roll at row group boundaries: groups of at most a quarter of the file size end files within a quarter of it.
                if (o.MaxFileBytes is { } max && o.RowGroupBytes > max / 4) o = o with { RowGroupBytes = Math.Max(1, max / 4) };
                // Batches of at most an eighth of a row group, so that groups end close to RowGroupBytes.
                var batches = new BatchSinkOptions
                {
                    BatchRows = Math.Min(o.RowGroupRows, 65_536),
                    BatchBytes = Math.Clamp(o.RowGroupBytes / 8, 1, 8L << 20),
                    MaxFileBytes = o.MaxFileBytes,
                };
                return new BatchFileSink<T>(ReferenceEquals(o, ParquetWriteOptions.DefaultOptions) ? ParquetFormat.Default : new ParquetFormat(o), path, batches);
            }
        }
    }
}
