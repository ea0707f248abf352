using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Sluice.S3;

/// <summary>
/// S3 (and S3-compatible servers) as Sluice's <c>s3://</c> object store: listing for globs, ranged reads, multipart uploads
/// that appear only when complete, whole objects for download stages. Requests are retried by the SDK (standard retry
/// mode, <see cref="S3Options.MaxRetries"/>); a body that breaks off mid-read is asked for again from where it broke.
/// </summary>
public sealed class S3Store : IObjectStore, IDisposable
{
    private readonly Lazy<IAmazonS3> _client;
    private long _requests, _bytesRead;

    /// <summary>A store with <paramref name="options"/> (null: everything the usual AWS way).</summary>
    public S3Store(S3Options? options = null)
    {
        Options = options ?? new S3Options();
        var config = Options.ToConfig(); // bad options fail here, not at the first request
        _client = new Lazy<IAmazonS3>(() => Options.Credentials is { } c ? new AmazonS3Client(c, config) : new AmazonS3Client(config));
    }

    /// <summary>A store over a client of one's own.</summary>
    public S3Store(IAmazonS3 client, S3Options? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        Options = options ?? new S3Options();
        _client = new Lazy<IAmazonS3>(client);
    }

    /// <summary>The options it was made with.</summary>
    public S3Options Options { get; }

    /// <inheritdoc/>
    public string Scheme => "s3";

    internal IAmazonS3 Client => _client.Value;

    /// <summary>GET, HEAD and LIST requests sent so far (retries by the SDK not counted).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Object bytes read so far (ranged and whole reads).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    internal void CountBytes(long n) => Interlocked.Add(ref _bytesRead, n);

    /// <summary>Splits <c>s3://bucket/key</c>.</summary>
    internal static (string Bucket, string Key) Parse(string url)
    {
        if (!url.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"'{url}' is not an s3:// URL.", nameof(url));
        string rest = url[5..];
        int slash = rest.IndexOf('/');
        string bucket = slash < 0 ? rest : rest[..slash];
        string key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0) throw new ArgumentException($"'{url}' names no bucket (s3://bucket/key).", nameof(url));
        return (bucket, key);
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredObject> List(string urlOrGlob, CancellationToken cancellationToken = default) =>
        ListAsync(urlOrGlob, cancellationToken).GetAwaiter().GetResult();

    /// <summary>See <see cref="List"/>.</summary>
    public async Task<IReadOnlyList<StoredObject>> ListAsync(string urlOrGlob, CancellationToken cancellationToken = default)
    {
        var (bucket, key) = Parse(urlOrGlob);
        if (!PathGlob.IsGlob(key))
        {
            if (key.Length == 0 || key.EndsWith('/'))
                throw new FileNotFoundException($"Input '{urlOrGlob}' is a bucket or folder, not an object: use a glob such as '{urlOrGlob.TrimEnd('/')}/*.parquet'.", urlOrGlob);
            var head = await Call(urlOrGlob, () => Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken))
                .ConfigureAwait(false);
            return [new StoredObject(urlOrGlob, head.ContentLength)];
        }

        var patterns = PathGlob.ExpandBraces(key).ToList();
        // One listing under the longest prefix the patterns share (before the first wildcard of each).
        string prefix = patterns.Select(PathGlob.KeyPrefix).Aggregate(CommonPrefix);
        var found = new List<StoredObject>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        do
        {
            var page = await Call(urlOrGlob, () => Client.ListObjectsV2Async(request, cancellationToken)).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
                if (!o.Key.EndsWith('/') && patterns.Any(p => PathGlob.IsKeyMatch(p, o.Key)))
                    found.Add(new StoredObject($"s3://{bucket}/{o.Key}", o.Size ?? 0));
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (request.ContinuationToken is not null);
        if (found.Count == 0) throw new FileNotFoundException($"No objects match '{urlOrGlob}' (listed s3://{bucket}/{prefix}).", urlOrGlob);
        found.Sort((a, b) => string.CompareOrdinal(a.Url, b.Url));
        return found;
    }

    private static string CommonPrefix(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return a[..n];
    }

    /// <inheritdoc/>
    public Stream OpenRead(StoredObject obj)
    {
        var (bucket, key) = Parse(obj.Url);
        return new S3ReadStream(this, obj.Url, bucket, key, obj.Length);
    }

    /// <inheritdoc/>
    public async ValueTask<Blob> ReadAllAsync(string url, long maxBytes, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(url);
        for (int attempt = 1; ; attempt++)
        {
            using var response = await Call(url, () => Client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken))
                .ConfigureAwait(false);
            long length = response.ContentLength;
            if (length > maxBytes)
                throw new DownloadException($"'{url}' failed after {attempt} attempt(s): the object has {length} bytes, more than MaxBytes ({maxBytes}).", url, attempt);
            try
            {
                var blob = await Blob.ReadAllAsync(response.ResponseStream, length, cancellationToken).ConfigureAwait(false);
                CountBytes(length);
                return blob;
            }
            catch (Exception e) when (IsBrokenBody(e, cancellationToken) && attempt <= Options.MaxRetries)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBrokenBody(e, cancellationToken))
            {
                throw new DownloadException($"'{url}' failed after {attempt} attempts: the body broke off: {e.Message}", url, attempt, null, e);
            }
        }
    }

    /// <inheritdoc/>
    public IObjectUpload Create(string url)
    {
        var (bucket, key) = Parse(url);
        if (key.Length == 0 || key.EndsWith('/')) throw new ArgumentException($"'{url}' names no object key to write.", nameof(url));
        return new S3Upload(this, url, bucket, key);
    }

    /// <summary>Disposes the client (when the store made it).</summary>
    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
    }

    /// <summary>Whether a failure while reading a body is worth asking again for (a connection dropped, a body cut short).</summary>
    internal static bool IsBrokenBody(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException or EndOfStreamException or InvalidDataException
                                                       or OperationCanceledException;

    internal static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(100 * (1 << Math.Min(attempt - 1, 6)), 5_000) * (0.5 + Random.Shared.NextDouble() / 2));

    /// <summary>Sends a request, turning S3's answers into the errors a file source expects.</summary>
    internal async Task<TResponse> Call<TResponse>(string url, Func<Task<TResponse>> send)
    {
        CountRequest();
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            string what = e.ErrorCode == "NoSuchBucket" ? $"no bucket '{Parse(url).Bucket}'" : "no such object";
            throw new FileNotFoundException($"'{url}': {what} (S3: {e.ErrorCode ?? "404"}).", url, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new UnauthorizedAccessException($"'{url}': access denied (S3: {e.ErrorCode ?? ((int)e.StatusCode).ToString()}: {e.Message}).", e);
        }
        catch (AmazonServiceException e)
        {
            throw new IOException($"'{url}': S3 answered {(int)e.StatusCode} {e.ErrorCode}: {e.Message}", e);
        }
        catch (AmazonClientException e)
        {
            throw new IOException($"'{url}': {e.Message}", e);
        }
    }
}
