using Apache.Arrow;

namespace Sluice.Arrow;

/// <summary>One open file of record batches (an Arrow IPC file or stream; a Parquet file in Sluice.Parquet).</summary>
public interface IBatchFileReader : IAsyncDisposable
{
    /// <summary>The file's schema.</summary>
    Schema Schema { get; }

    /// <summary>The next batch, or null at the end.</summary>
    ValueTask<RecordBatch?> ReadNextAsync(CancellationToken cancellationToken);
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

    /// <summary>Opens <paramref name="path"/>; <paramref name="columns"/> are the ones the pipeline reads (a format may read only those).</summary>
    public abstract IBatchFileReader OpenRead(string path, IReadOnlyList<string> columns);

    /// <summary>Creates <paramref name="path"/> for batches of <paramref name="schema"/>.</summary>
    public abstract IBatchFileWriter OpenWrite(string path, Schema schema);
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
        var files = PathGlob.Expand(pathsOrGlobs);
        if (files.Count == 0) throw new FileNotFoundException($"No {format.Name} file matches {Description}.");
        return new Reader(format, files, context);
    }

    private sealed class Reader(BatchFileFormat format, List<string> files, SourceContext<T> context) : ISourceReader<T>, IInputProgress
    {
        private readonly RowCodec<T> _codec = context.RequireCodec();
        private readonly long _totalBytes = files.Sum(f => new FileInfo(f).Length);
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
                    _path = files[_next++];
                    _rowBase = 0;
                    try
                    {
                        _file = format.OpenRead(_path, _codec.Columns.Where(c => c.Read).Select(c => c.Name).ToList());
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
                if (_rowCount > 0) return true;
            }
        }

        private void FileDone()
        {
            long done = 0;
            for (int i = 0; i < _next; i++) done += new FileInfo(files[i]).Length;
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

/// <summary>
/// Records to one file of record batches, <paramref name="batchRows"/> rows a batch, written under a temporary name beside
/// it (<c>out.partial.arrow</c>) and renamed when the run completes; a run that does not complete leaves the old file and
/// keeps its whole batches in the partial file, which the summary names.
/// </summary>
public sealed class BatchFileSink<T>(BatchFileFormat format, string path, int batchRows = 65_536) : ISink<T>
{
    /// <inheritdoc/>
    public string Description => path;

    /// <inheritdoc/>
    public ISinkWriter<T> Open(SinkContext<T> context) => new Writer(format, Path.GetFullPath(path), batchRows, context.RequireCodec());

    private sealed class Writer : ISinkWriter<T>, IFileOutputWriter
    {
        private readonly RowCodec<T> _codec;
        private readonly Schema _schema;
        private readonly string _target, _partial;
        private readonly T[] _pending;
        private int _count;
        private IBatchFileWriter? _file;

        public Writer(BatchFileFormat format, string target, int batchRows, RowCodec<T> codec)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
            _codec = codec;
            _schema = ArrowColumns.SchemaOf(codec);
            _target = target;
            _partial = OutputFiles.PartialPath(target);
            string? dir = Path.GetDirectoryName(target);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            _pending = new T[batchRows];
            _file = format.OpenWrite(_partial, _schema);
        }

        public long RowsInFile { get; private set; }

        public string? PartialPath { get; private set; }

        public async ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
        {
            if (_file is null) throw new ObjectDisposedException(nameof(BatchFileSink<T>), "The sink is already complete.");
            while (!rows.IsEmpty)
            {
                int n = Math.Min(rows.Length, _pending.Length - _count);
                rows.Span[..n].CopyTo(_pending.AsSpan(_count));
                _count += n;
                rows = rows[n..];
                if (_count == _pending.Length) await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            if (_count == 0) return;
            using (var batch = ArrowColumns.ToBatch(_codec, _schema, _pending.AsSpan(0, _count)))
            {
                // The batch holds copies: the rows' payloads go back now.
                if (_codec.HasPayloads) for (int i = 0; i < _count; i++) _codec.DisposePayloads(in _pending[i]);
                await _file!.WriteAsync(batch, ct).ConfigureAwait(false);
            }
            RowsInFile += _count;
            if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) System.Array.Clear(_pending, 0, _count);
            _count = 0;
        }

        public async ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            if (_file is null) return;
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await _file.FinishAsync(cancellationToken).ConfigureAwait(false);
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
            File.Move(_partial, _target, overwrite: true);
        }

        public async ValueTask DisposeAsync()
        {
            if (_file is null) return;
            try
            {
                // Not completed: the whole rows so far go into the partial file, which is closed as a valid file.
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await _file.FinishAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await _file.DisposeAsync().ConfigureAwait(false);
                _file = null;
                if (RowsInFile > 0) PartialPath = _partial;
                else File.Delete(_partial);
            }
        }
    }
}
