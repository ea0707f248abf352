using Apache.Arrow;

namespace Sluice.Arrow;

/// <summary>One open file of record batches (an Arrow IPC file or stream; a Parquet file in Sluice.Parquet).</summary>
public interface IBatchFileReader : IAsyncDisposable
{
    /// <summary>The file's schema.</summary>
    Schema Schema { get; }

    /// <summary>
    /// The next batch, or null at the end. Throws <see cref="RowsSkippedException"/> for a part of the file that cannot be
    /// read when the parts after it can (a Parquet row group): the reading goes on with the next call. Any other exception
    /// ends the file.
    /// </summary>
    ValueTask<RecordBatch?> ReadNextAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Says that <paramref name="batch"/>, given by this reader and disposed, is no longer used: the reader may reuse its
    /// memory. Optional: a batch never released is left to the garbage collector.
    /// </summary>
    void Release(RecordBatch batch)
    {
    }
}

/// <summary>A part of a file (a Parquet row group) could not be read and was skipped; the rest of the file can still be read.</summary>
public sealed class RowsSkippedException(long rows, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>How many rows were lost.</summary>
    public long Rows { get; } = rows;
}

/// <summary>One file of record batches being written.</summary>
public interface IBatchFileWriter : IAsyncDisposable
{
    /// <summary>Writes a batch.</summary>
    ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken);

    /// <summary>Writes the file's end (footer); after it the file is whole.</summary>
    ValueTask FinishAsync(CancellationToken cancellationToken);
}

/// <summary>A file format of record batches: how to open one for reading and for writing.</summary>
public abstract class BatchFileFormat
{
    /// <summary>The format's name in messages ("Arrow IPC file", "Parquet").</summary>
    public abstract string Name { get; }

    /// <summary>The extension of its files, with the dot (".parquet"), for files a sink names itself (<c>part-00000.parquet</c>).</summary>
    public abstract string Extension { get; }

    /// <summary>
    /// Reads from <paramref name="stream"/> (seekable; the reader owns it), named <paramref name="name"/> in messages;
    /// <paramref name="columns"/> are the ones the pipeline reads (a format may read only those).
    /// </summary>
    public abstract IBatchFileReader OpenRead(Stream stream, string name, IReadOnlyList<string> columns);

    /// <summary>Opens the local file <paramref name="path"/> (by default as a stream; a format may read the file natively).</summary>
    public virtual IBatchFileReader OpenRead(string path, IReadOnlyList<string> columns)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        try { return OpenRead(stream, path, columns); }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Writes batches of <paramref name="schema"/> to <paramref name="stream"/> (not seekable; the writer owns it).</summary>
    public abstract IBatchFileWriter OpenWrite(Stream stream, Schema schema);

    /// <summary>Creates the local file <paramref name="path"/> for batches of <paramref name="schema"/> (by default as a stream).</summary>
    public virtual IBatchFileWriter OpenWrite(string path, Schema schema) =>
        OpenWrite(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous), schema);
}

/// <summary>
/// Records from files of record batches, file after file (paths or globs), batch by batch. A file that cannot be
/// opened or whose schema does not fit the record is one bad row naming the file and the column (dead-lettered under
/// the run's policy), and the next file goes on; a row with a null where the record needs a value is one bad row.
/// </summary>
public sealed class BatchFileSource<T>(BatchFileFormat format, IReadOnlyList<string> pathsOrGlobs) : ISource<T>
{
    /// <inheritdoc/>
    public string Description => string.Join(", ", pathsOrGlobs);

    /// <inheritdoc/>
    public ISourceReader<T> Open(SourceContext<T> context)
    {
        var files = InputFile.Expand(pathsOrGlobs);
        if (files.Count == 0) throw new FileNotFoundException($"No {format.Name} file matches {Description}.");
        return new Reader(format, files, context);
    }

    private sealed class Reader(BatchFileFormat format, List<InputFile> files, SourceContext<T> context) : ISourceReader<T>, IInputProgress
    {
        private readonly RowCodec<T> _codec = context.RequireCodec();
        private readonly long _totalBytes = files.Sum(f => Math.Max(0, f.Length));
        private long _bytesDone;
        private int _next;
        private IBatchFileReader? _file;
        private string _path = "";
        private long _rowBase; // rows of the file before the current batch
        private T[] _rows = [];
        private int _rowCount, _rowAt;

        public long TotalBytes => _totalBytes;
        public long BytesDone => Volatile.Read(ref _bytesDone);

        public async ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
        {
            while (_rowAt == _rowCount)
            {
                if (!await NextBatchAsync(cancellationToken).ConfigureAwait(false)) return 0;
            }
            int n = Math.Min(buffer.Length, _rowCount - _rowAt);
            _rows.AsSpan(_rowAt, n).CopyTo(buffer.Span);
            _rowAt += n;
            return n;
        }

        private async ValueTask<bool> NextBatchAsync(CancellationToken ct)
        {
            while (true)
            {
                if (_file is null)
                {
                    if (_next == files.Count) return false;
                    var input = files[_next++];
                    _path = input.Path;
                    _rowBase = 0;
                    try
                    {
                        var columns = _codec.Columns.Where(c => c.Read).Select(c => c.Name).ToList();
                        _file = input.IsRemote ? OpenRemote(input, columns) : format.OpenRead(_path, columns);
                        ArrowColumns.CheckSchema(_codec, _file.Schema, _path);
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or ArgumentException
                                                  or InvalidOperationException)
                    {
                        await CloseFileAsync().ConfigureAwait(false);
                        context.BadRow(_path, $"cannot read this {format.Name}: {e.Message}", null);
                        FileDone();
                        continue;
                    }
                }
                RecordBatch? batch;
                try
                {
                    batch = await _file.ReadNextAsync(ct).ConfigureAwait(false);
                }
                catch (RowsSkippedException e)
                {
                    context.BadRow($"{_path} (rows {_rowBase + 1:N0}-{_rowBase + e.Rows:N0})", e.Message, null);
                    _rowBase += e.Rows;
                    continue;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or OverflowException)
                {
                    context.BadRow($"{_path} (after row {_rowBase:N0})", $"the rest of this {format.Name} cannot be read: {e.Message}", null);
                    batch = null;
                }
                if (batch is null)
                {
                    await CloseFileAsync().ConfigureAwait(false);
                    FileDone();
                    continue;
                }
                using (batch)
                {
                    if (_rows.Length < batch.Length) _rows = new T[batch.Length];
                    else if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) System.Array.Clear(_rows);
                    long at = _rowBase;
                    try
                    {
                        _rowCount = ArrowColumns.FromBatch(_codec, batch, _rows, _path,
                            (row, error) => context.BadRow($"{_path}:row {at + row + 1:N0}", error.Message, null));
                    }
                    catch (RowFormatException e)
                    {
                        context.BadRow($"{_path} (rows {at + 1:N0}-{at + batch.Length:N0})", e.Message, null);
                        _rowCount = 0;
                    }
                    _rowAt = 0;
                    _rowBase += batch.Length;
                }
                _file!.Release(batch);
                if (_rowCount > 0) return true;
            }
        }

        private IBatchFileReader OpenRemote(InputFile input, List<string> columns)
        {
            var stream = input.Open(sequential: false);
            try { return format.OpenRead(stream, input.Path, columns); }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        private void FileDone()
        {
            long done = 0;
            for (int i = 0; i < _next; i++) done += Math.Max(0, files[i].Length);
            Volatile.Write(ref _bytesDone, done);
        }

        private async ValueTask CloseFileAsync()
        {
            var f = _file;
            _file = null;
            if (f is not null) await f.DisposeAsync().ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => CloseFileAsync();
    }
}

/// <summary>How a sink of record batches cuts its output into batches and files.</summary>
public sealed record BatchSinkOptions
{
    /// <summary>The most rows in one record batch (default 65,536).</summary>
    public int BatchRows { get; init; } = 65_536;

    /// <summary>
    /// About how many bytes of Arrow data a batch holds (default 8 MiB): after the first batch the sink sizes batches by
    /// its rows' measured bytes, so rows of 384 floats come in batches of about 5,000, not 65,536 (100 MB).
    /// </summary>
    public long BatchBytes { get; init; } = 8L << 20;

    /// <summary>
    /// Roll to a new file once a file holds this many bytes (null: one file). The files are <c>part-00000.parquet</c>,
    /// <c>part-00001.parquet</c>, ... in an output folder (a path ending with '/'), or <c>data.parquet</c>,
    /// <c>data-00001.parquet</c>, ... beside a named file; each is written under a temporary name and renamed when it is
    /// whole. A file is rolled at the first batch boundary after it reaches the size (for Parquet, a row group boundary).
    /// </summary>
    public long? MaxFileBytes { get; init; }
}

/// <summary>
/// Records to files of record batches, in batches of at most <see cref="BatchSinkOptions.BatchRows"/> rows and about
/// <see cref="BatchSinkOptions.BatchBytes"/>, written under a temporary name beside the target (<c>out.partial.arrow</c>)
/// and renamed when the run completes (or, rolled by <see cref="BatchSinkOptions.MaxFileBytes"/>, when each file is
/// whole); a run that does not complete leaves the old file and keeps its whole batches in the partial file, which the
/// summary names. An <c>s3://</c> target is an upload that appears only when whole.
/// </summary>
public sealed class BatchFileSink<T>(BatchFileFormat format, string path, BatchSinkOptions? options = null) : ISink<T>
{
    private readonly BatchSinkOptions _options = options ?? new BatchSinkOptions();

    /// <summary>Records to one file, <paramref name="batchRows"/> rows a batch at most.</summary>
    public BatchFileSink(BatchFileFormat format, string path, int batchRows) : this(format, path, new BatchSinkOptions { BatchRows = batchRows }) { }

    /// <inheritdoc/>
    public string Description => path;

    /// <inheritdoc/>
    public ISinkWriter<T> Open(SinkContext<T> context) => new Writer(format, path, _options, context);

    private sealed class Writer : ISinkWriter<T>, IFileOutputWriter
    {
        private readonly BatchFileFormat _format;
        private readonly BatchSinkOptions _options;
        private readonly RowCodec<T> _codec;
        private readonly Schema _schema;
        private readonly FileNames _names;
        private readonly T[] _pending;
        private int _count, _batchLimit;
        private IBatchFileWriter? _file;
        private OutputFile? _output;
        private CountingStream? _counter;
        private long _fileRows, _doneRows;
        private int _fileIndex;
        private bool _closed;

        private readonly SinkContext<T> _context;

        public Writer(BatchFileFormat format, string target, BatchSinkOptions options, SinkContext<T> context)
        {
            _context = context;
            var codec = context.RequireCodec();
            ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchRows, 1);
            ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchBytes, 1);
            if (options.MaxFileBytes is < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxFileBytes must be at least 1 byte.");
            _format = format;
            _options = options;
            _codec = codec;
            _schema = ArrowColumns.SchemaOf(codec);
            _names = new FileNames(target, format.Extension);
            _pending = new T[options.BatchRows];
            _batchLimit = Math.Min(options.BatchRows, 64); // a small first batch measures the rows' size
            OpenFile();
        }

        public long RowsInFile => _doneRows + _fileRows;

        public string? PartialPath { get; private set; }

        /// <summary>The files made whole so far (local paths or URLs), in order.</summary>
        internal List<string> Completed { get; } = [];

        private void OpenFile()
        {
            _output = OutputFile.Create(_names.For(_fileIndex));
            _fileRows = 0;
            if (_output.IsRemote)
            {
                _counter = new CountingStream(_output.OpenStream());
                _file = _format.OpenWrite(_counter, _schema);
            }
            else
            {
                _counter = null;
                _file = _format.OpenWrite(_output.PartialPath!, _schema);
            }
        }

        private string? RowJson(in T row)
        {
            try
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var json = new System.Text.Json.Utf8JsonWriter(buffer)) _codec.WriteJson(json, in row);
                return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return null;
            }
        }

        private long FileBytes => _counter?.Written ?? new FileInfo(_output!.PartialPath!).Length;

        public async ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
        {
            if (_closed) throw new ObjectDisposedException(nameof(BatchFileSink<T>), "The sink is already complete.");
            if (_codec.ChecksRows)
            {
                // Rows that break what the record declares (a fixed-size list of another length) are bad rows; the others go on.
                for (int i = 0; i < rows.Length; i++)
                {
                    if (_codec.CheckRow(in rows.Span[i]) is { } problem)
                    {
                        _context.BadRow(_names.For(_fileIndex), problem.Message, RowJson(rows.Span[i]));
                        if (_codec.HasPayloads) _codec.DisposePayloads(in rows.Span[i]);
                        continue;
                    }
                    _pending[_count++] = rows.Span[i];
                    if (_count >= _batchLimit) await FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            while (!rows.IsEmpty)
            {
                int n = Math.Min(rows.Length, _batchLimit - _count);
                rows.Span[..n].CopyTo(_pending.AsSpan(_count));
                _count += n;
                rows = rows[n..];
                if (_count >= _batchLimit) await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            if (_count == 0) return;
            using (var batch = ArrowColumns.ToBatch(_codec, _schema, _pending.AsSpan(0, _count)))
            {
                // The batch holds copies: the rows' payloads go back now.
                if (_codec.HasPayloads) for (int i = 0; i < _count; i++) _codec.DisposePayloads(in _pending[i]);
                long bytes = ArrowBytes.Of(batch);
                _batchLimit = (int)Math.Clamp(_options.BatchBytes * _count / Math.Max(1, bytes), 1, _options.BatchRows);
                await _file!.WriteAsync(batch, ct).ConfigureAwait(false);
            }
            _fileRows += _count;
            if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) System.Array.Clear(_pending, 0, _count);
            _count = 0;
            if (_options.MaxFileBytes is { } max && FileBytes >= max)
            {
                await CommitFileAsync(ct).ConfigureAwait(false);
                _fileIndex++;
                OpenFile();
            }
        }

        private async ValueTask CommitFileAsync(CancellationToken ct)
        {
            await _file!.FinishAsync(ct).ConfigureAwait(false);
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
            await _output!.CommitAsync(ct).ConfigureAwait(false);
            Completed.Add(_output.Target);
            _output = null;
            _doneRows += _fileRows;
            _fileRows = 0;
        }

        public async ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            if (_closed) return;
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            // The last file is written even when empty when it is the only one: an empty result is a valid file.
            bool last = _fileRows > 0 || _fileIndex == 0;
            if (last) await CommitFileAsync(cancellationToken).ConfigureAwait(false);
            else await AbandonFileAsync(keep: false).ConfigureAwait(false);
            _closed = true;
            if (_options.MaxFileBytes is not null) _names.DeleteStale(_fileIndex + (last ? 1 : 0));
        }

        private async ValueTask AbandonFileAsync(bool keep)
        {
            try
            {
                if (_file is not null) await _file.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _file = null;
                bool remote = _output!.IsRemote;
                PartialPath = await _output.AbandonAsync(keep).ConfigureAwait(false);
                _output = null;
                if (remote) _fileRows = 0; // an abandoned upload leaves nothing: its rows are not written anywhere
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_closed || _output is null) return;
            _closed = true;
            try
            {
                // Not completed: the whole rows so far go into the partial file, which is closed as a valid file.
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
                if (_file is not null) await _file.FinishAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await AbandonFileAsync(keep: _fileRows > 0).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The names of a sink's files: the first is the target (or <c>part-00000.ext</c> in a folder), then numbered.</summary>
    private sealed class FileNames
    {
        private readonly string _dir, _stem, _ext;
        private readonly bool _remote;
        private readonly int _firstNumber; // the number in the first name (part-00000: 0), or -1 when it has none

        public FileNames(string target, string extension)
        {
            _remote = ObjectStores.SchemeOf(target) is not null;
            bool folder = target.EndsWith('/') || (!_remote && (target.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(target)));
            if (folder)
            {
                _dir = target.TrimEnd('/', Path.DirectorySeparatorChar);
                _stem = "part-";
                _ext = extension;
                _firstNumber = 0;
                return;
            }
            int slash = target.LastIndexOfAny(_remote ? ['/'] : ['/', Path.DirectorySeparatorChar]);
            _dir = slash < 0 ? "" : target[..slash];
            string name = target[(slash + 1)..];
            int dot = name.IndexOf('.', 1);
            string stem = dot < 0 ? name : name[..dot];
            _ext = dot < 0 ? "" : name[dot..];
            // part-00000.parquet counts on from its number; data.parquet goes on as data-00001.parquet.
            int digits = 0;
            while (digits < stem.Length && char.IsAsciiDigit(stem[^(digits + 1)])) digits++;
            if (digits >= 1 && digits < stem.Length && stem[^(digits + 1)] == '-' && int.TryParse(stem.AsSpan(stem.Length - digits), out int first))
            {
                _stem = stem[..^digits];
                _firstNumber = first;
                _width = digits;
            }
            else
            {
                _stem = stem;
                _firstNumber = -1;
            }
        }

        private readonly int _width = 5;

        public string For(int index)
        {
            string name = _firstNumber < 0
                ? (index == 0 ? _stem : $"{_stem}-{index.ToString("D5")}") + _ext
                : $"{_stem}{(_firstNumber + index).ToString("D" + _width)}{_ext}";
            if (_dir.Length == 0) return name;
            return _remote ? $"{_dir}/{name}" : Path.Combine(_dir, name);
        }

        /// <summary>Deletes local files a longer earlier run left with the numbers after this run's <paramref name="count"/> files.</summary>
        public void DeleteStale(int count)
        {
            if (_remote) return;
            for (int i = count; ; i++)
            {
                string stale = Path.GetFullPath(For(i));
                if (!File.Exists(stale)) break;
                File.Delete(stale);
            }
        }
    }

    /// <summary>A write-only stream that counts the bytes through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Sizes of Arrow data.</summary>
internal static class ArrowBytes
{
    /// <summary>The bytes of a batch's Arrow buffers (children included): what it holds in memory.</summary>
    public static long Of(RecordBatch batch)
    {
        long total = 0;
        for (int i = 0; i < batch.ColumnCount; i++) total += BufferBytes(batch.Column(i).Data);
        return total;

        static long BufferBytes(ArrayData data)
        {
            long bytes = 0;
            if (data.Buffers is { } buffers) foreach (var b in buffers) bytes += b.Length;
            if (data.Children is { } children) foreach (var child in children) bytes += BufferBytes(child);
            if (data.Dictionary is { } dictionary) bytes += BufferBytes(dictionary);
            return bytes;
        }
    }
}
