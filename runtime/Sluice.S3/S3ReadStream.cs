using Amazon.S3.Model;

namespace Sluice.S3;

/// <summary>
/// A read-only, seekable view of one object through ranged GETs. Small reads are served from a block fetched ahead
/// (256 KiB, doubling while reads go on in order, up to 8 MiB); a read at least a block long goes straight into the
/// caller's buffer. A Parquet reader thus costs its footer and the column chunks it asks for, not the whole file.
/// Every range is pinned to the ETag of the first: an object replaced mid-read fails instead of mixing two versions.
/// </summary>
internal sealed class S3ReadStream : Stream
{
    private readonly S3Store _store;
    private readonly string _url, _bucket, _key;
    private readonly long _length;
    private byte[] _block = [];
    private long _blockStart;
    private int _blockLength;
    private long _position, _lastEnd = -1;
    private int _ahead;
    private string? _etag;
    private bool _disposed;

    public S3ReadStream(S3Store store, string url, string bucket, string key, long length)
    {
        _store = store;
        _url = url;
        _bucket = bucket;
        _key = key;
        _length = length;
        _ahead = store.Options.ReadBytes;
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => !_disposed;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0) throw new IOException($"'{_url}': seek before the start of the object.");
        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position >= _length || buffer.IsEmpty) return 0;
        if (TryCopy(buffer) is int copied and > 0) return copied;
        int want = (int)Math.Min(buffer.Length, _length - _position);
        if (want >= _ahead)
        {
            // A large read (a column chunk) goes straight into the caller's buffer.
            var tmp = System.Buffers.ArrayPool<byte>.Shared.Rent(want);
            try
            {
                FetchAsync(_position, tmp.AsMemory(0, want), CancellationToken.None).GetAwaiter().GetResult();
                tmp.AsSpan(0, want).CopyTo(buffer);
            }
            finally { System.Buffers.ArrayPool<byte>.Shared.Return(tmp); }
            _position += want;
            return want;
        }
        FillBlockAsync(CancellationToken.None).GetAwaiter().GetResult();
        return TryCopy(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position >= _length || buffer.IsEmpty) return 0;
        if (TryCopy(buffer.Span) is int copied and > 0) return copied;
        int want = (int)Math.Min(buffer.Length, _length - _position);
        if (want >= _ahead)
        {
            await FetchAsync(_position, buffer[..want], cancellationToken).ConfigureAwait(false);
            _position += want;
            return want;
        }
        await FillBlockAsync(cancellationToken).ConfigureAwait(false);
        return TryCopy(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Copies what the block holds at the position; 0 when it holds nothing there.</summary>
    private int TryCopy(Span<byte> buffer)
    {
        long at = _position - _blockStart;
        if (at < 0 || at >= _blockLength) return 0;
        int n = (int)Math.Min(buffer.Length, _blockLength - at);
        _block.AsSpan((int)at, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    private async ValueTask FillBlockAsync(CancellationToken cancellationToken)
    {
        // Reads that go on where the last fetch ended are a scan: fetch further ahead each time.
        if (_position == _lastEnd) _ahead = Math.Min(_ahead * 2, _store.Options.MaxReadBytes);
        int n = (int)Math.Min(_ahead, _length - _position);
        if (_block.Length < n) _block = GC.AllocateUninitializedArray<byte>(Math.Max(n, Math.Min(_ahead, _store.Options.MaxReadBytes)));
        _blockLength = 0;
        await FetchAsync(_position, _block.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        _blockStart = _position;
        _blockLength = n;
    }

    /// <summary>Reads bytes [<paramref name="start"/>, start + destination.Length) with a ranged GET, asking again where a body broke off.</summary>
    private async ValueTask FetchAsync(long start, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int done = 0;
        for (int attempt = 1; done < destination.Length; attempt++)
        {
            long from = start + done;
            var request = new GetObjectRequest
            {
                BucketName = _bucket,
                Key = _key,
                ByteRange = new ByteRange(from, start + destination.Length - 1),
            };
            if (_etag is not null) request.EtagToMatch = _etag;
            GetObjectResponse response;
            try
            {
                // The SDK retries the request itself (5xx, throttling, refused connections).
                response = await _store.Call(_url, () => _store.Client.GetObjectAsync(request, cancellationToken)).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is Amazon.S3.AmazonS3Exception { StatusCode: System.Net.HttpStatusCode.PreconditionFailed })
            {
                throw new IOException($"'{_url}' changed while it was read (it no longer has ETag {_etag}).", e);
            }
            using (response)
            {
                if (_etag is null) _etag = response.ETag;
                else if (response.ETag is { } etag && etag != _etag)
                    throw new IOException($"'{_url}' changed while it was read (ETag {_etag}, now {etag}).");
                try
                {
                    var body = response.ResponseStream;
                    while (done < destination.Length)
                    {
                        int n = await body.ReadAsync(destination[done..], cancellationToken).ConfigureAwait(false);
                        if (n == 0) throw new EndOfStreamException($"the body of bytes {from}-{start + destination.Length - 1} ended after {start + done - from} bytes");
                        done += n;
                        _store.CountBytes(n);
                    }
                }
                catch (Exception e) when (S3Store.IsBrokenBody(e, cancellationToken))
                {
                    // A body that broke off: ask again for the rest.
                    if (attempt > _store.Options.MaxRetries)
                        throw new IOException($"'{_url}': reading bytes {from}-{start + destination.Length - 1} failed {attempt} times: {e.Message}", e);
                    await Task.Delay(S3Store.Backoff(attempt), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        _lastEnd = start + destination.Length;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _block = [];
        base.Dispose(disposing);
    }
}
