using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice;

public static partial class Sink
{
    /// <summary>Writes rows to a JSON Lines file.</summary>
    public static ISink<T> JsonLines<T>(string path) => new FileSink<T>(FileSpec.Of(CheckPath(path), FileFormat.JsonLines, forWriting: true));

    /// <summary>Writes rows to a CSV file with a header row.</summary>
    public static ISink<T> Csv<T>(string path) => new FileSink<T>(FileSpec.Of(CheckPath(path), FileFormat.Csv, forWriting: true));

    /// <summary>
    /// Writes rows to a file whose format follows its extension (.jsonl, .ndjson, .csv, optionally .gz; .parquet, .arrow and
    /// .arrows with the Sluice.Parquet and Sluice.Arrow packages).
    /// </summary>
    public static ISink<T> File<T>(string path) => File<T>(path, null);

    /// <summary>
    /// As <see cref="File{T}(string)"/>, rolling to a new file once one holds <paramref name="maxFileBytes"/> (Parquet and
    /// Arrow: <c>part-00000.parquet</c>, <c>part-00001.parquet</c>, ...; JSON Lines and CSV are one file and refuse a size).
    /// </summary>
    public static ISink<T> File<T>(string path, long? maxFileBytes)
    {
        CheckPath(path);
        if (maxFileBytes is < 1) throw new ArgumentOutOfRangeException(nameof(maxFileBytes), "A file size to roll at is at least 1 byte.");
        if (FileFormats.For(path) is { } provider) return provider.OpenSink<T>(path, maxFileBytes);
        if (FileFormats.PackageFor(path) is { } package)
            throw new NotSupportedException($"'{path}': {System.IO.Path.GetExtension(path)} files are written by the {package} package; add a reference to it.");
        var spec = FileSpec.Of(path, null, forWriting: true);
        if (maxFileBytes is not null)
            throw new NotSupportedException($"'{path}': JSON Lines and CSV outputs are one file; a file size to roll at (--max-file-size) is for Parquet and Arrow outputs.");
        return new FileSink<T>(spec);
    }

    private static string CheckPath(string path) =>
        string.IsNullOrWhiteSpace(path) ? throw new ArgumentException("Name an output file.", nameof(path)) : path;
}

/// <summary>
/// Rows to one file. A run writes them to <see cref="OutputFiles.PartialPath"/> (<c>out.partial.jsonl</c> beside
/// <c>out.jsonl</c>) and renames that over the target when it completes, so a run that fails or is cancelled never
/// replaces the old output: its rows stay in the partial file, whose name says what it is (none when no row was written).
/// </summary>
internal sealed class FileSink<T>(FileSpec file) : ISink<T>
{
    public string Description => file.Path;

    /// <summary>Buffered bytes that trigger a write to the file.</summary>
    internal int FlushBytes { get; set; } = 1 << 20;

    public ISinkWriter<T> Open(SinkContext<T> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new FileSinkWriter<T>(file, context.RequireCodec(), FlushBytes);
    }
}

/// <summary>
/// Formats rows into a buffer and writes only whole rows to the file, so the file is valid at every write
/// and after any end: completed, failed or cancelled (disposed without <see cref="CompleteAsync"/>), every
/// line is a complete JSON object or CSV row after the header. A row whose codec throws is cut from the
/// buffer before the error goes on. Gzip output is finished properly in all these cases.
/// </summary>
internal sealed class FileSinkWriter<T> : ISinkWriter<T>, IFileOutputWriter
{
    private static readonly JsonWriterOptions s_json = new()
    {
        // Text stays readable (é, 日本) rather than \u-escaped; quotes, backslashes and controls are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly RowCodec<T> _codec;
    private readonly int _flushBytes;
    private readonly ByteBuffer _buffer;
    private readonly Utf8JsonWriter? _json;
    private readonly CsvRowWriter? _csv;
    private readonly OutputFile _output;
    private Stream? _stream;
    private long _buffered; // rows formatted into the buffer, not yet in the file

    public FileSinkWriter(FileSpec file, RowCodec<T> codec, int flushBytes)
    {
        _codec = codec;
        _flushBytes = flushBytes;
        _buffer = new ByteBuffer(Math.Min(flushBytes, 1 << 16) + 4096);
        _output = OutputFile.Create(file.Path);
        Stream stream = _output.OpenStream();
        // Fastest: gzip at level 1 keeps up with the pipeline; the files are a little larger than at level 6.
        _stream = file.Gzip ? new GZipStream(stream, CompressionLevel.Fastest) : stream;

        if (file.Format == FileFormat.Csv)
        {
            _csv = new CsvRowWriter(_buffer, codec.Columns.Select(c => c.Name).ToArray());
            _csv.WriteHeader();
        }
        else
        {
            _json = new Utf8JsonWriter(_buffer, s_json);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
    {
        if (_stream is null) throw new ObjectDisposedException(nameof(FileSinkWriter<T>), "The sink is already complete.");
        int next = 0;
        while (next < rows.Length)
        {
            next = Append(rows.Span, next);
            if (_buffer.Length >= _flushBytes) await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public long RowsInFile { get; private set; }

    /// <inheritdoc/>
    public string? PartialPath { get; private set; }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_stream is null) return;
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await CloseAsync().ConfigureAwait(false);
        await _output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is null) return;
        try
        {
            // Not cancellable: the rows already formatted are whole and belong in the file.
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
            // Not completed: the target keeps what it had; the rows written stay in the partial file, if any (an
            // abandoned object upload leaves nothing, so none of its rows count as written).
            PartialPath = await _output.AbandonAsync(keep: RowsInFile > 0).ConfigureAwait(false);
            if (_output.IsRemote) RowsInFile = 0;
        }
    }

    /// <summary>Formats rows from <paramref name="start"/> until the buffer is due a flush; returns the next row.</summary>
    private int Append(ReadOnlySpan<T> rows, int start)
    {
        int i = start;
        while (i < rows.Length && _buffer.Length < _flushBytes)
        {
            int mark = _buffer.Length;
            try
            {
                if (_json is not null)
                {
                    _json.Reset(_buffer);
                    _codec.WriteJson(_json, in rows[i]);
                    _json.Flush();
                    _buffer.Write((byte)'\n');
                }
                else
                {
                    _csv!.BeginRow();
                    _codec.WriteCsv(_csv, in rows[i]);
                    _csv.EndRow();
                }
            }
            catch
            {
                _buffer.Truncate(mark);
                throw;
            }
            _buffered++;
            if (_codec.HasPayloads) _codec.DisposePayloads(in rows[i]); // written: nothing else holds its payloads
            i++;
        }
        return i;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Length == 0) return;
        await _stream!.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _buffer.Clear();
        RowsInFile += _buffered;
        _buffered = 0;
    }

    private async ValueTask CloseAsync()
    {
        var stream = _stream;
        _stream = null;
        _json?.Dispose();
        if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A sink writer whose rows land in a file: what it wrote, and where they are when the run did not complete.</summary>
internal interface IFileOutputWriter
{
    /// <summary>Rows in the file (the run's count of rows written is this, so report and file agree).</summary>
    long RowsInFile { get; }

    /// <summary>After a run that did not complete: the partial file holding its rows (null when none was written).</summary>
    string? PartialPath { get; }
}

/// <summary>Where an output's rows go while a run writes them.</summary>
internal static class OutputFiles
{
    /// <summary>
    /// <c>dir/out.partial.jsonl</c> for <c>dir/out.jsonl</c> (<c>out.partial.jsonl.gz</c> for <c>out.jsonl.gz</c>): the
    /// extensions stay last, so the partial file opens like the output would.
    /// </summary>
    public static string PartialPath(string target)
    {
        string dir = Path.GetDirectoryName(target) ?? "";
        string name = Path.GetFileName(target);
        int dot = name.IndexOf('.', 1);
        string partial = dot < 0 ? name + ".partial" : name[..dot] + ".partial" + name[dot..];
        return Path.Combine(dir, partial);
    }
}
