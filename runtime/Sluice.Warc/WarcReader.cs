using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Sluice.Warc;

/// <summary>One WARC record: its header fields and its block.</summary>
internal sealed class WarcRecord
{
    public required string Type { get; init; }
    public required Dictionary<string, string> Headers { get; init; }
    public required Blob Block { get; set; }
    public required long Offset { get; init; }        // in the (decompressed) stream, for messages

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>For an HTTP response or request block: where the HTTP body starts, and the status; else 0 and null.</summary>
    public (int BodyStart, int? Status) Http()
    {
        var type = Header("Content-Type") ?? "";
        if (!type.StartsWith("application/http", StringComparison.OrdinalIgnoreCase)) return (0, null);
        var span = Block.Span;
        int end = span.IndexOf("\r\n\r\n"u8);
        int sep = 4;
        if (end < 0) { end = span.IndexOf("\n\n"u8); sep = 2; }
        if (end < 0) return (0, null);
        int? status = null;
        int lineEnd = span.IndexOf((byte)'\n');
        var line = Encoding.ASCII.GetString(span[..(lineEnd < 0 ? end : lineEnd)]).Trim();
        var parts = line.Split(' ', 3);
        if (parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) && int.TryParse(parts[1], out int s)) status = s;
        return (end + sep, status);
    }
}

/// <summary>
/// Reads WARC records from a file, streaming. A <c>.gz</c> file is read gzip member by member (Common Crawl puts each
/// record in a member of its own): a member that cannot be inflated is reported and reading resumes at the next member
/// header. A record whose header is damaged, or whose block is cut short, is reported and reading resumes at the next
/// line that starts a record (<c>WARC/1.</c>).
/// </summary>
internal sealed class WarcReader : IAsyncDisposable
{
    private readonly string _path;
    private readonly long _maxRecordBytes;
    private readonly Action<string, string> _bad;  // location, message
    private readonly CountingStream _raw;
    private readonly bool _gzip;
    private Stream _data;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private long _offset; // decompressed bytes consumed before _buffer[_start]
    private bool _eof;
    private long _restartedAt = -1;
    private bool _resynced;
    private readonly Queue<string> _recentIds = new();
    private readonly HashSet<string> _recent = new();

    public WarcReader(string path, long maxRecordBytes, Action<string, string> bad)
    {
        _path = path;
        _maxRecordBytes = maxRecordBytes;
        _bad = bad;
        _raw = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
        Span<byte> magic = stackalloc byte[2];
        int n = _raw.Read(magic);
        _raw.Inner.Position = 0;
        _raw.Consumed = 0;
        _gzip = n == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        _data = _gzip ? new GZipStream(_raw, CompressionMode.Decompress, leaveOpen: true) : _raw;
    }

    /// <summary>Compressed bytes read so far (for progress).</summary>
    public long BytesRead => _raw.Consumed;

    /// <summary>The next record, or null at the end of the file.</summary>
    public WarcRecord? Next()
    {
        while (true)
        {
            // The version line; anything else before it is skipped up to the next line that starts a record.
            long at = _offset + (_start);
            var line = ReadLine();
            if (line is null) return null;
            if (line.Length == 0) continue; // blank lines between records
            if (!line.StartsWith("WARC/1.", StringComparison.Ordinal))
            {
                _bad($"{_path} (byte {at:N0})", $"expected a WARC record ('WARC/1.0'), found '{Shorten(line)}'; skipped to the next record");
                if (!SkipToRecord()) return null;
                continue;
            }
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? last = null;
            bool ended = false;
            while (ReadLine() is { } h)
            {
                if (h.Length == 0) { ended = true; break; }
                if ((h[0] == ' ' || h[0] == '\t') && last is not null) { headers[last] += " " + h.Trim(); continue; }
                int colon = h.IndexOf(':');
                if (colon <= 0) { headers[""] = h; continue; } // kept, reported below
                last = h[..colon].Trim();
                headers[last] = h[(colon + 1)..].Trim();
            }
            string location = $"{_path} (record at byte {at:N0}{(headers.TryGetValue("WARC-Record-ID", out var rid) ? ", " + rid : "")})";
            if (!ended) { _bad(location, "the file ends inside the record's header"); return null; }
            if (headers.ContainsKey("")) { _bad(location, $"a header line without 'Name: value': '{Shorten(headers[""])}'; skipped"); if (!SkipToRecord()) return null; continue; }
            if (!headers.TryGetValue("Content-Length", out var lengthText) || !long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out long length))
            {
                _bad(location, $"no valid Content-Length ({(lengthText is null ? "missing" : $"'{Shorten(lengthText)}'")}); skipped");
                if (!SkipToRecord()) return null;
                continue;
            }
            if (length > _maxRecordBytes)
            {
                _bad(location, $"a block of {length:N0} bytes is larger than the limit of {_maxRecordBytes:N0} (maxRecordBytes); skipped");
                if (!Skip(length)) return null;
                continue;
            }
            var block = Blob.Rent((int)length);
            int got = ReadInto(block.Span);
            if (got < length)
            {
                block.Dispose();
                _bad(location, $"the block is cut short: {got:N0} of {length:N0} bytes before the end of the file");
                return null;
            }
            if (headers.TryGetValue("WARC-Record-ID", out var id))
            {
                if (_resynced && _recent.Contains(id)) { block.Dispose(); continue; } // read before the resync
                _recentIds.Enqueue(id);
                _recent.Add(id);
                if (_recentIds.Count > 64) _recent.Remove(_recentIds.Dequeue());
            }
            return new WarcRecord { Type = headers.GetValueOrDefault("WARC-Type", ""), Headers = headers, Block = block, Offset = at };
        }
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>Refills the buffer; false at the end. A gzip member that cannot be inflated is reported and skipped.</summary>
    private bool Fill()
    {
        if (_eof) return false;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _offset += _start;
            _end -= _start;
            _start = 0;
        }
        while (true)
        {
            int n;
            try
            {
                n = _data.Read(_buffer, _end, _buffer.Length - _end);
            }
            catch (InvalidDataException e) when (_gzip)
            {
                long at = _raw.Consumed;
                _bad($"{_path} (compressed byte {at:N0})", $"a gzip member cannot be inflated ({e.Message}); records in it are lost, reading resumes at the next member");
                if (!ResyncGzip()) { _eof = true; return _end > _start; }
                continue;
            }
            if (n == 0) { _eof = true; return _end > _start; }
            _end += n;
            return true;
        }
    }

    // The next gzip member header (1F 8B 08) after the one being inflated when the error came. The inflater reads ahead
    // at most CountingStream.MaxRead bytes, so the scan starts that far back (but after the last restart, so it always
    // moves on); a good member found again there gives records already read, which Next() skips by their record ids.
    private bool ResyncGzip()
    {
        _data.Dispose();
        var inner = _raw.Inner;
        long from = Math.Max(_restartedAt + 1, _raw.Consumed - CountingStream.MaxRead - 2);
        inner.Position = from;
        var window = new byte[1 << 16];
        while (true)
        {
            long pos = inner.Position;
            int n = inner.Read(window, 0, window.Length);
            if (n < 3) return false;
            int k = window.AsSpan(0, n).IndexOf([(byte)0x1F, (byte)0x8B, (byte)0x08]);
            if (k >= 0)
            {
                inner.Position = pos + k;
                _raw.Consumed = pos + k;
                _restartedAt = pos + k;
                _resynced = true;
                _data = new GZipStream(_raw, CompressionMode.Decompress, leaveOpen: true);
                // Bytes already buffered from the broken member are dropped: they belong to a record that is lost.
                _start = _end = 0;
                return true;
            }
            inner.Position = pos + n - 2; // a header may straddle the window
            if (n < window.Length) return false;
        }
    }

    private string? ReadLine()
    {
        while (true)
        {
            int nl = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int len = nl > 0 && _buffer[_start + nl - 1] == '\r' ? nl - 1 : nl;
                string line = Encoding.UTF8.GetString(_buffer, _start, len);
                _start += nl + 1;
                return line;
            }
            if (_end - _start == _buffer.Length)
            {
                // A "line" of 64 KiB: no WARC header is that long; drop it.
                _start = _end;
                return "(a line over 64 KiB)";
            }
            if (!Fill())
            {
                if (_end == _start) return null;
                string rest = Encoding.UTF8.GetString(_buffer, _start, _end - _start);
                _start = _end;
                return rest;
            }
        }
    }

    private int ReadInto(Span<byte> target)
    {
        int done = 0;
        while (done < target.Length)
        {
            if (_start == _end && !Fill()) break;
            int n = Math.Min(target.Length - done, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(target[done..]);
            _start += n;
            done += n;
        }
        return done;
    }

    private bool Skip(long bytes)
    {
        while (bytes > 0)
        {
            if (_start == _end && !Fill()) return false;
            int n = (int)Math.Min(bytes, _end - _start);
            _start += n;
            bytes -= n;
        }
        return true;
    }

    // Skips lines up to the next one that starts a record, leaving it to be read.
    private bool SkipToRecord()
    {
        while (true)
        {
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                int k = span.IndexOf("\nWARC/1."u8);
                if (k >= 0) { _start += k + 1; return true; }
                if (span.Length > 8) _start = _end - 8; // keep a possible split of the marker
                break;
            }
            if (!Fill()) return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _data.Dispose();
        _raw.Inner.Dispose();
        return default;
    }

    /// <summary>Counts the bytes read through it (the compressed position, for resyncing and progress).</summary>
    private sealed class CountingStream(FileStream inner) : Stream
    {
        /// <summary>The most one read returns: bounds how far past a broken member the inflater has read.</summary>
        public const int MaxRead = 1024;

        public FileStream Inner { get; } = inner;
        public long Consumed { get; set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => Inner.Length;
        public override long Position { get => Consumed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Inner.Read(buffer[..Math.Min(buffer.Length, MaxRead)]);
            Consumed += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
