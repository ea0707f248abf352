using System.Buffers;
using Amazon.S3.Model;

namespace Sluice.S3;

/// <summary>
/// One object being written. Bytes fill a part (<see cref="S3Options.PartBytes"/>); a full part is uploaded in the
/// background (at most <see cref="S3Options.PartsInFlight"/> at once, so memory stays at a few parts) as part of a
/// multipart upload, which S3 shows as an object only when it is completed: the object appears whole, at once, or not
/// at all. An object smaller than a part is one PUT on commit. Disposed without commit, the upload is aborted and the
/// key keeps what it held.
/// </summary>
internal sealed class S3Upload : IObjectUpload
{
    private readonly S3Store _store;
    private readonly string _url, _bucket, _key;
    private readonly List<PartETag> _parts = [];
    private readonly List<Task> _inFlight = [];
    private readonly UploadStream _stream;
    private string? _uploadId;
    private byte[] _buffer;
    private int _filled;
    private int _partNumber;
    private bool _done;

    public S3Upload(S3Store store, string url, string bucket, string key)
    {
        _store = store;
        _url = url;
        _bucket = bucket;
        _key = key;
        _buffer = ArrayPool<byte>.Shared.Rent(PartSize(1));
        _stream = new UploadStream(this);
    }

    public Stream Stream => _stream;

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>Part n's size: the configured size, doubled after every 2,000 parts (S3 allows 10,000).</summary>
    private int PartSize(int part) => (int)Math.Min((long)_store.Options.PartBytes << Math.Min((part - 1) / 2000, 4), 1L << 30);

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        while (!data.IsEmpty)
        {
            int room = PartSize(_partNumber + 1) - _filled;
            int n = Math.Min(room, data.Length);
            data.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            Written += n;
            data = data[n..];
            if (_filled == PartSize(_partNumber + 1)) await SendPartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads the filled buffer as the next part, waiting first while too many are in flight.</summary>
    private async ValueTask SendPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await _store.Call(_url, () => _store.Client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = _bucket, Key = _key }, cancellationToken)).ConfigureAwait(false)).UploadId;
        while (_inFlight.Count >= _store.Options.PartsInFlight)
        {
            var finished = await Task.WhenAny(_inFlight).ConfigureAwait(false);
            _inFlight.Remove(finished);
            await finished.ConfigureAwait(false); // a failed part fails the write
        }
        int number = ++_partNumber;
        byte[] data = _buffer;
        int length = _filled;
        _buffer = ArrayPool<byte>.Shared.Rent(PartSize(number + 1));
        _filled = 0;
        _inFlight.Add(UploadPartAsync(number, data, length, cancellationToken));
    }

    private async Task UploadPartAsync(int number, byte[] data, int length, CancellationToken cancellationToken)
    {
        try
        {
            var request = new UploadPartRequest
            {
                BucketName = _bucket,
                Key = _key,
                UploadId = _uploadId,
                PartNumber = number,
                PartSize = length,
                InputStream = new MemoryStream(data, 0, length, writable: false),
                UseChunkEncoding = _store.Options.EffectiveChunkEncoding,
            };
            var response = await _store.Call(_url, () => _store.Client.UploadPartAsync(request, cancellationToken)).ConfigureAwait(false);
            lock (_parts) _parts.Add(new PartETag(number, response.ETag));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_uploadId is null)
        {
            // Smaller than a part: one PUT.
            var put = new PutObjectRequest
            {
                BucketName = _bucket,
                Key = _key,
                InputStream = new MemoryStream(_buffer, 0, _filled, writable: false),
                UseChunkEncoding = _store.Options.EffectiveChunkEncoding,
                AutoCloseStream = true,
            };
            await _store.Call(_url, () => _store.Client.PutObjectAsync(put, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            if (_filled > 0 || _partNumber == 0) await SendPartAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(_inFlight).ConfigureAwait(false);
            _inFlight.Clear();
            var complete = new CompleteMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = _uploadId };
            complete.AddPartETags(_parts.OrderBy(p => p.PartNumber));
            await _store.Call(_url, () => _store.Client.CompleteMultipartUploadAsync(complete, cancellationToken)).ConfigureAwait(false);
            _uploadId = null;
        }
        _done = true;
    }

    public async ValueTask DisposeAsync()
    {
        _done = true;
        try { await Task.WhenAll(_inFlight).ConfigureAwait(false); }
        catch (Exception) { } // the parts of an abandoned upload do not matter
        _inFlight.Clear();
        if (_uploadId is { } id)
        {
            _uploadId = null;
            try
            {
                await _store.Call(_url, () => _store.Client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = _bucket, Key = _key, UploadId = id })).ConfigureAwait(false);
            }
            catch (IOException) { } // best effort: a bucket lifecycle rule can clean up what is left
        }
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>The write side as a stream (write-only; Position is the bytes written, which Arrow's file writer asks).</summary>
    private sealed class UploadStream(S3Upload upload) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => upload.Written;
        public override long Position { get => upload.Written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            upload.WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                buffer.CopyTo(copy);
                upload.WriteAsync(copy.AsMemory(0, buffer.Length), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            finally { ArrayPool<byte>.Shared.Return(copy); }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            upload.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            upload.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
