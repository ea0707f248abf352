using System.IO.Compression;

namespace Sluice;

public static partial class Source
{
    /// <summary>Rows from JSON Lines files (paths or globs such as <c>in/*.jsonl</c>; <c>.gz</c> is decompressed).</summary>
    public static ISource<T> JsonLines<T>(params string[] pathsOrGlobs) => new FileSource<T>(pathsOrGlobs, FileFormat.JsonLines);

    /// <summary>Rows from CSV files with a header row (paths or globs).</summary>
    public static ISource<T> Csv<T>(params string[] pathsOrGlobs) => new FileSource<T>(pathsOrGlobs, FileFormat.Csv);

    /// <summary>
    /// Rows from files whose format follows their extension (.jsonl, .ndjson, .json, .csv, optionally .gz; .parquet, .arrow
    /// and .arrows with the Sluice.Parquet and Sluice.Arrow packages).
    /// </summary>
    public static ISource<T> Files<T>(params string[] pathsOrGlobs)
    {
        if (pathsOrGlobs.Length > 0 && FileFormats.For(pathsOrGlobs[0]) is { } provider) return provider.OpenSource<T>(pathsOrGlobs);
        if (pathsOrGlobs.Length > 0 && FileFormats.PackageFor(pathsOrGlobs[0]) is { } package)
            throw new NotSupportedException($"'{pathsOrGlobs[0]}': {Path.GetExtension(pathsOrGlobs[0])} files are read by the {package} package; add a reference to it.");
        return new FileSource<T>(pathsOrGlobs, null);
    }
}

/// <summary>
/// Rows from files read one after another, streaming: the paths and globs are expanded when a run opens
/// the source (a missing file or a glob without matches fails the run there), then each file is read in
/// chunks. A row that cannot be read goes to <see cref="SourceContext{T}.BadRow"/> and reading goes on.
/// </summary>
internal sealed class FileSource<T> : ISource<T>
{
    private readonly string[] _pathsOrGlobs;
    private readonly FileFormat? _format;

    public FileSource(string[] pathsOrGlobs, FileFormat? format)
    {
        ArgumentNullException.ThrowIfNull(pathsOrGlobs);
        if (pathsOrGlobs.Length == 0) throw new ArgumentException("Name at least one input path or glob.", nameof(pathsOrGlobs));
        foreach (var p in pathsOrGlobs)
            if (string.IsNullOrWhiteSpace(p)) throw new ArgumentException("An input path or glob is empty.", nameof(pathsOrGlobs));
        _pathsOrGlobs = pathsOrGlobs;
        _format = format;
        Description = string.Join(", ", pathsOrGlobs);
    }

    public string Description { get; }

    /// <summary>Bytes read from a file at a time (the buffer grows for longer records).</summary>
    internal int BufferSize { get; set; } = 1 << 20;

    /// <summary>The longest record (line) accepted; a longer one fails the run (it is likely an unclosed quote).</summary>
    internal int MaxRecordBytes { get; set; } = 256 << 20;

    public ISourceReader<T> Open(SourceContext<T> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var codec = context.RequireCodec();
        var files = InputFile.Expand(_pathsOrGlobs).Select(f => (f, FileSpec.Of(f.Path, _format, forWriting: false))).ToList();
        return new FileSourceReader<T>(files, context, codec, BufferSize, MaxRecordBytes);
    }
}

/// <summary>Reads the files of one run: owns the byte buffer and the open file, leaves rows to a <see cref="RowParser{T}"/>.</summary>
internal sealed class FileSourceReader<T> : ISourceReader<T>, IInputProgress
{
    private static readonly byte[] s_bom = [0xEF, 0xBB, 0xBF];

    private readonly List<(InputFile Input, FileSpec Spec)> _files;
    private readonly SourceContext<T> _context;
    private readonly RowCodec<T> _codec;
    private readonly int _maxRecordBytes;
    private JsonLinesParser<T>? _json;
    private CsvParser<T>? _csv;
    private RowParser<T>? _parser;
    private int _next;
    private Stream? _stream;
    private Stream? _file;       // the file under _stream (a GZipStream's base): its position is the progress
    private long _fileLength;
    private long _doneBytes;     // sizes of the files read to their end
    private byte[] _buffer;
    private int _start, _end;
    private bool _eof, _bomPending;

    public FileSourceReader(List<(InputFile Input, FileSpec Spec)> files, SourceContext<T> context, RowCodec<T> codec, int bufferSize, int maxRecordBytes)
    {
        _files = files;
        _context = context;
        _codec = codec;
        _maxRecordBytes = maxRecordBytes;
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(bufferSize, 16));
        long total = 0;
        foreach (var (f, _) in files)
        {
            if (f.Length < 0) { total = -1; break; }
            total += f.Length;
        }
        TotalBytes = total;
    }

    /// <inheritdoc/>
    public long TotalBytes { get; }

    /// <inheritdoc/>
    public long BytesDone
    {
        get
        {
            long current = 0;
            try { current = Volatile.Read(ref _file)?.Position ?? 0; }
            catch (ObjectDisposedException) { }
            return Math.Min(TotalBytes, Volatile.Read(ref _doneBytes) + current);
        }
    }

    public async ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
    {
        int n = 0;
        while (n < buffer.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_stream is null)
            {
                if (_next == _files.Count) break;
                OpenNext();
            }
            if (_bomPending)
            {
                if (_end - _start < s_bom.Length && !_eof)
                {
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (_buffer.AsSpan(_start, _end - _start).StartsWith(s_bom)) _start += s_bom.Length;
                _bomPending = false;
            }

            n += _parser!.Parse(_buffer.AsSpan(_start, _end - _start), _eof, buffer.Span[n..], out int consumed);
            _start += consumed;
            if (n == buffer.Length) break;
            if (_eof)
            {
                await CloseAsync().ConfigureAwait(false);
                continue;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
        return n;
    }

    public ValueTask DisposeAsync() => CloseAsync();

    private void OpenNext()
    {
        var (input, file) = _files[_next++];
        var fileStream = input.Open(bufferSize: file.Gzip ? 1 << 16 : 0);
        _fileLength = input.Length;
        Stream stream = fileStream;
        Volatile.Write(ref _file, fileStream);
        // GZipStream reads concatenated members and checks each CRC, but a file cut short (no trailer) just
        // ends: its torn last line becomes a bad row, and the lines before it read as usual.
        if (file.Gzip) stream = new GZipStream(stream, CompressionMode.Decompress);
        _stream = stream;
        _parser = file.Format == FileFormat.Csv
            ? _csv ??= new CsvParser<T>(_context, _codec)
            : _json ??= new JsonLinesParser<T>(_context, _codec);
        _parser.StartFile(file.Path);
        _start = _end = 0;
        _eof = false;
        _bomPending = true;
    }

    private async ValueTask CloseAsync()
    {
        var stream = _stream;
        _stream = null;
        if (Interlocked.Exchange(ref _file, null) is not null) Interlocked.Add(ref _doneBytes, Math.Max(0, _fileLength));
        if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads more bytes after the unparsed rest (a partial record), growing the buffer when the rest fills it.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxRecordBytes)
                throw new InvalidDataException(
                    $"{_parser!.FilePath}:{_parser.Line}: a record is longer than {_maxRecordBytes:N0} bytes (an unclosed quote, or not a {(_parser is CsvParser<T> ? "CSV" : "JSON Lines")} file?).");
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)_buffer.Length * 2, _maxRecordBytes));
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            _buffer = bigger;
        }
        int read;
        try
        {
            read = await _stream!.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{_parser!.FilePath}: {e.Message}", e); // a damaged .gz file
        }
        if (read == 0) _eof = true;
        else _end += read;
    }
}

/// <summary>Turns the bytes of one file format into rows.</summary>
internal abstract class RowParser<T>(SourceContext<T> context, RowCodec<T> codec)
{
    protected SourceContext<T> Context { get; } = context;
    protected RowCodec<T> Codec { get; } = codec;

    /// <summary>The file being read, as given (for locations).</summary>
    public string FilePath { get; private set; } = "";

    /// <summary>The line number of the next unread byte (1-based).</summary>
    public long Line { get; protected set; }

    public virtual void StartFile(string path)
    {
        FilePath = path;
        Line = 1;
    }

    /// <summary>
    /// Parses whole records from <paramref name="data"/> into <paramref name="rows"/> until it is full or the
    /// data ends; with <paramref name="final"/> the last record needs no line end and all data is consumed.
    /// Returns the rows parsed; <paramref name="consumed"/> is the bytes used.
    /// </summary>
    public abstract int Parse(ReadOnlySpan<byte> data, bool final, Span<T> rows, out int consumed);

    protected string Location(long line) => $"{FilePath}:{line}";
}

/// <summary>A source that knows how much of its input it has read (files: bytes on disk), for percent and time left.</summary>
internal interface IInputProgress
{
    /// <summary>The input's size in bytes (-1 when unknown).</summary>
    long TotalBytes { get; }

    /// <summary>Bytes read so far.</summary>
    long BytesDone { get; }
}
