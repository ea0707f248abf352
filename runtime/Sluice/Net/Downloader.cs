using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Sluice;

/// <summary>Settings of a <see cref="Downloader"/>. Every property has a sensible default.</summary>
public sealed record DownloaderOptions
{
    /// <summary>How long opening a connection may take. Default: 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an attempt may go without receiving a byte (headers or body). Default: 30 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take in all, body included. Default: 60 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for transient failures (429, 5xx gateways, timeouts, resets). Default: 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The backoff before the first retry; it doubles per retry (with full jitter). Default: 200 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between attempts, Retry-After included. Default: 10 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest response body (or file) accepted. Default: 256 MiB.</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Connections kept open per server; size it to the stage's concurrency. Default: 64.</summary>
    public int MaxConnectionsPerServer { get; init; } = 64;

    /// <summary>The User-Agent header sent with every request.</summary>
    public string UserAgent { get; init; } = "Sluice/1.0";

    /// <summary>
    /// Redirects followed per attempt (301, 302, 303, 307, 308; only to http or https, never from https to http).
    /// Default: 10.
    /// </summary>
    public int MaxRedirects { get; init; } = 10;

    /// <summary>
    /// The folders local paths and <c>file://</c> URLs may be read from (and written to), for manifests from sources
    /// you do not trust: a path is resolved (symbolic links, <c>..</c>) and must lie inside one of them, or the
    /// call fails naming it. Null (the default): any path. Setting: <c>--set downloader.allowed_roots=/data:/tmp/in</c>.
    /// </summary>
    public IReadOnlyList<string>? AllowedRoots { get; init; }

    /// <summary>How long a pooled connection lives before it is replaced (so DNS changes are seen). Default: 5 min.</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromMinutes(5);

    internal DownloaderOptions Validate()
    {
        if (MaxRetries < 0) throw new ArgumentException($"MaxRetries must not be negative (was {MaxRetries}).");
        if (MaxRedirects < 0) throw new ArgumentException($"MaxRedirects must not be negative (was {MaxRedirects}).");
        if (MaxBytes <= 0) throw new ArgumentException($"MaxBytes must be positive (was {MaxBytes}).");
        if (MaxConnectionsPerServer < 1) throw new ArgumentException($"MaxConnectionsPerServer must be at least 1 (was {MaxConnectionsPerServer}).");
        if (Timeout <= TimeSpan.Zero || ReadTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException("Timeouts must be positive.");
        return this;
    }
}

/// <summary>A download or upload failed for good: a status that is not retried, or retries ran out.</summary>
public sealed class DownloadException(string message, string url, int attempts, HttpStatusCode? statusCode = null, Exception? inner = null)
    : IOException(message, inner)
{
    /// <summary>The URL or path.</summary>
    public string Url { get; } = url;

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; } = attempts;

    /// <summary>The last HTTP status, when the server answered.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;
}

/// <summary>
/// Fetches and stores payloads by URL or path: http(s) through one pooled <see cref="HttpClient"/>
/// with timeouts and retries, <c>file://</c> URLs and plain paths from disk. Bodies land in a
/// <see cref="Blob"/>, so they count against the run's <see cref="MemoryBudget"/>. Thread-safe:
/// one instance serves all of a stage's concurrent calls.
/// </summary>
public sealed class Downloader : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A downloader with <paramref name="options"/> (defaults when null).</summary>
    public Downloader(DownloaderOptions? options = null)
    {
        Options = (options ?? new DownloaderOptions()).Validate();
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = Options.PooledConnectionLifetime,
            MaxConnectionsPerServer = Options.MaxConnectionsPerServer,
            ConnectTimeout = Options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.All,
            // Redirects are followed here (SendAsync), so that only http(s) targets are, and a refused one is named.
            AllowAutoRedirect = false,
        };
        // Timeouts are per attempt and enforced here (total and idle), not by HttpClient.
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.TryParseAdd(Options.UserAgent);
    }

    /// <summary>
    /// A downloader configured from the run's settings: <c>downloader.timeout</c>, <c>downloader.read_timeout</c>,
    /// <c>downloader.connect_timeout</c> (seconds), <c>downloader.retries</c>, <c>downloader.max_bytes</c>,
    /// <c>downloader.connections</c>, <c>downloader.user_agent</c> and <c>downloader.allowed_roots</c> (folders
    /// separated by the platform's path separator, ':' on Linux).
    /// </summary>
    public Downloader(PipelineContext context) : this(FromSettings(context.Options)) { }

    /// <summary>The settings in force.</summary>
    public DownloaderOptions Options { get; }

    /// <summary>Reads <see cref="DownloaderOptions"/> from a run's settings (see <see cref="Downloader(PipelineContext)"/>).</summary>
    public static DownloaderOptions FromSettings(PipelineOptions options)
    {
        var d = new DownloaderOptions();
        return d with
        {
            Timeout = TimeSpan.FromSeconds(options.Get("downloader.timeout", d.Timeout.TotalSeconds)),
            ReadTimeout = TimeSpan.FromSeconds(options.Get("downloader.read_timeout", d.ReadTimeout.TotalSeconds)),
            ConnectTimeout = TimeSpan.FromSeconds(options.Get("downloader.connect_timeout", d.ConnectTimeout.TotalSeconds)),
            MaxRetries = options.Get("downloader.retries", d.MaxRetries),
            MaxBytes = options.Get("downloader.max_bytes", d.MaxBytes),
            MaxConnectionsPerServer = options.Get("downloader.connections", d.MaxConnectionsPerServer),
            UserAgent = options.Get("downloader.user_agent", d.UserAgent),
            AllowedRoots = options.Settings.TryGetValue("downloader.allowed_roots", out var roots)
                ? roots.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : d.AllowedRoots,
        };
    }

    /// <summary>
    /// Fetches <paramref name="urlOrPath"/> (http, https, file URL, or a plain path) into a blob the caller owns.
    /// </summary>
    /// <exception cref="DownloadException">The server refused, retries ran out, or the body is too large.</exception>
    /// <exception cref="FileNotFoundException">A file URL or path names no file.</exception>
    public ValueTask<Blob> GetAsync(string urlOrPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(urlOrPath);
        return Classify(urlOrPath, out var uri, out var path) switch
        {
            Target.Http => SendAsync(HttpMethod.Get, uri!, urlOrPath, null, cancellationToken)!,
            Target.Store => ReadObjectAsync(urlOrPath, cancellationToken),
            _ => ReadFileAsync(urlOrPath, path!, cancellationToken),
        };
    }

    /// <summary>
    /// Stores <paramref name="body"/> at <paramref name="urlOrPath"/>: an HTTP PUT (retried like a GET), or an
    /// atomic file write (a temporary file renamed into place; missing directories are created).
    /// </summary>
    public async ValueTask PutAsync(string urlOrPath, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(urlOrPath);
        var target = Classify(urlOrPath, out var uri, out var path);
        if (target == Target.Http)
        {
            await SendAsync(HttpMethod.Put, uri!, urlOrPath, body, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (target == Target.Store)
        {
            await WriteObjectAsync(urlOrPath, body, cancellationToken).ConfigureAwait(false);
            return;
        }
        string full = Path.GetFullPath(path!);
        if (Options.AllowedRoots is not null)
        {
            // The nearest folder that exists decides, before any folder is made.
            string? existing = Path.GetDirectoryName(full);
            while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
            CheckAllowed(urlOrPath, existing ?? full);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
                await file.WriteAsync(body, cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => _http.Dispose();

    private enum Target { Http, File, Store }

    private static Target Classify(string urlOrPath, out Uri? uri, out string? path)
    {
        uri = null;
        path = null;
        if (urlOrPath.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || urlOrPath.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            uri = new Uri(urlOrPath, UriKind.Absolute);
            return Target.Http;
        }
        if (urlOrPath.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(urlOrPath, UriKind.Absolute, out var file))
                throw new NotSupportedException($"'{urlOrPath}' is not a valid file URL.");
            // file:///path and file://localhost/path are this machine's; any other host is not a local path.
            if (file.Host.Length > 0 && !file.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException($"'{urlOrPath}': only local file URLs (file:///path or file://localhost/path) are supported, not host '{file.Host}'.");
            path = OperatingSystem.IsWindows() && file.Host.Length == 0 ? file.LocalPath : Uri.UnescapeDataString(file.AbsolutePath);
            return Target.File;
        }
        if (ObjectStores.SchemeOf(urlOrPath) is { } scheme)
        {
            if (ObjectStores.IsRegistered(scheme)) return Target.Store;
            if (scheme.Equals("s3", StringComparison.OrdinalIgnoreCase)) ObjectStores.For(urlOrPath); // says which package adds it
            throw new NotSupportedException($"'{urlOrPath}': only http, https, file and object store (s3) URLs, or plain paths, are supported.");
        }
        path = urlOrPath;
        return Target.File;
    }

    private async ValueTask<Blob> ReadFileAsync(string urlOrPath, string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        if (Options.AllowedRoots is not null && LocalFile.RealPath(full) is not null) CheckAllowed(urlOrPath, full);
        // A FIFO would block the open until a writer comes, a device would never end: only regular files are read.
        switch (LocalFile.NotARegularFile(full))
        {
            case null: break;
            case "missing": throw new FileNotFoundException($"'{urlOrPath}' failed after 1 attempt: no file at '{full}'.", full);
            case var kind: throw new DownloadException($"'{urlOrPath}' failed after 1 attempt: '{full}' is {kind}, not a regular file; not read.", urlOrPath, 1);
        }
        FileStream file;
        try
        {
            file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"'{urlOrPath}' failed after 1 attempt: no file at '{full}'.", full, e);
        }
        await using (file.ConfigureAwait(false))
        {
            if (file.Length > Options.MaxBytes)
                throw new DownloadException($"'{urlOrPath}' failed after 1 attempt: the file has {file.Length} bytes, more than MaxBytes ({Options.MaxBytes}).", urlOrPath, 1);
            // A local read is bounded by the same attempt Timeout as a download (a stalled network file system).
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.Timeout);
            try { return await Blob.ReadAllAsync(file, file.Length, timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DownloadException($"'{urlOrPath}' failed after 1 attempt: reading it took longer than the Timeout of {Options.Timeout.TotalSeconds:0.###} s.", urlOrPath, 1, null, e);
            }
        }
    }

    /// <summary>An object (<c>s3://</c>) through its store, within MaxBytes and the attempt Timeout (the store retries requests).</summary>
    private async ValueTask<Blob> ReadObjectAsync(string url, CancellationToken cancellationToken)
    {
        var store = ObjectStores.For(url)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.Timeout);
        try
        {
            return await store.ReadAllAsync(url, Options.MaxBytes, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DownloadException($"'{url}' failed: reading it took longer than the Timeout of {Options.Timeout.TotalSeconds:0.###} s.", url, 1, null, e);
        }
    }

    private async ValueTask WriteObjectAsync(string url, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var store = ObjectStores.For(url)!;
        await using var upload = store.Create(url);
        await upload.Stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await upload.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void CheckAllowed(string urlOrPath, string path)
    {
        if (Options.AllowedRoots is not { } roots || LocalFile.IsUnder(path, roots)) return;
        throw new UnauthorizedAccessException(
            $"'{urlOrPath}' is outside the folders local reads are allowed from (downloader.allowed_roots: {string.Join(Path.PathSeparator, roots)}); not read.");
    }

    /// <summary>Sends with retries; returns the body for a GET, null otherwise.</summary>
    private async ValueTask<Blob?> SendAsync(HttpMethod method, Uri uri, string url, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        int attempts = 0;
        while (true)
        {
            attempts++;
            bool last = attempts > Options.MaxRetries;
            TimeSpan? retryAfter = null;
            using (var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(total.Token))
            {
                total.CancelAfter(Options.Timeout);
                idle.CancelAfter(Options.ReadTimeout);
                try
                {
                    using var response = await SendFollowingRedirectsAsync(method, uri, url, body, attempts, idle.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    if (response.IsSuccessStatusCode)
                    {
                        if (method != HttpMethod.Get) return null;
                        long? length = response.Content.Headers.ContentLength;
                        if (length > Options.MaxBytes)
                            throw Fail(url, attempts, $"the body has {length} bytes, more than MaxBytes ({Options.MaxBytes})", response.StatusCode);
                        var raw = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                        await using var guarded = new GuardedStream(raw, idle, Options.ReadTimeout, Options.MaxBytes);
                        try
                        {
                            // The attempt's Timeout bounds a wait for memory budget too: a body that cannot get its
                            // memory fails its row (naming the size and the limit) instead of stalling the run.
                            return await Blob.ReadAllAsync(guarded, length, total.Token).ConfigureAwait(false);
                        }
                        catch (InvalidOperationException) when (guarded.Exceeded)
                        {
                            throw Fail(url, attempts, $"the body is larger than MaxBytes ({Options.MaxBytes})", response.StatusCode);
                        }
                        catch (MemoryBudgetWaitException) when (cancellationToken.IsCancellationRequested)
                        {
                            throw new OperationCanceledException(cancellationToken);
                        }
                        catch (Exception e) when (e is MemoryBudgetWaitException or MemoryBudgetExceededException)
                        {
                            throw Fail(url, attempts, e.Message, response.StatusCode, e);
                        }
                    }
                    string reason = $"HTTP {status} ({response.ReasonPhrase})";
                    if (!IsTransient(response.StatusCode))
                        throw Fail(url, attempts, reason, response.StatusCode);
                    if (last)
                        throw Fail(url, attempts, reason, response.StatusCode, gaveUp: true);
                    retryAfter = RetryAfter(response.Headers.RetryAfter);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    string what = total.IsCancellationRequested
                        ? $"timed out (no answer within the attempt Timeout of {Options.Timeout.TotalSeconds:0.###} s)"
                        : $"timed out (no byte received within the ReadTimeout of {Options.ReadTimeout.TotalSeconds:0.###} s)";
                    if (last) throw Fail(url, attempts, what, null, e, gaveUp: true);
                }
                catch (Exception e) when (e is HttpRequestException { StatusCode: null } or IOException or InvalidDataException
                                          && e is not DownloadException && !cancellationToken.IsCancellationRequested)
                {
                    // Connection refused or reset, a truncated body (HttpIOException or the blob's own length check).
                    if (last) throw Fail(url, attempts, $"{e.GetType().Name}: {e.Message}", null, e, gaveUp: true);
                }
            }
            await Task.Delay(retryAfter ?? Backoff(attempts), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One attempt's request, with its redirects followed: relative or absolute Locations, only to http or https and
    /// never from https down to http, at most <see cref="DownloaderOptions.MaxRedirects"/>; 303 turns the request
    /// into a GET, the others keep the method and body. A redirect that is not followed fails the call, naming the target.
    /// </summary>
    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(HttpMethod method, Uri uri, string url, ReadOnlyMemory<byte>? body,
                                                                        int attempts, CancellationToken cancellationToken)
    {
        var current = uri;
        for (int redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(method, current);
            if (body is { } b) request.Content = new ReadOnlyMemoryContent(b);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308)) return response;
            using (response)
            {
                // The header as sent (the parsed form would drop a default port, say): the message names what the server said.
                string? location = response.Headers.NonValidated.TryGetValues("Location", out var values) ? values.FirstOrDefault() : null;
                if (string.IsNullOrWhiteSpace(location))
                    throw Fail(url, attempts, $"HTTP {(int)response.StatusCode} without a Location to follow", response.StatusCode);
                if (!Uri.TryCreate(current, location, out var next))
                    throw Fail(url, attempts, $"redirected to '{location}', which is not a valid URL; not followed", response.StatusCode);
                if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                    throw Fail(url, attempts, $"redirected to '{location}', which is not an http or https URL; not followed", response.StatusCode);
                if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
                    throw Fail(url, attempts, $"redirected from https to '{location}' (plain http); not followed", response.StatusCode);
                if (redirects == Options.MaxRedirects)
                    throw Fail(url, attempts, $"more than {Options.MaxRedirects} redirects (the last to '{location}')", response.StatusCode);
                if (response.StatusCode == HttpStatusCode.SeeOther)
                {
                    method = HttpMethod.Get;
                    body = null;
                }
                current = next;
            }
        }
    }

    private static DownloadException Fail(string url, int attempts, string reason, HttpStatusCode? status, Exception? inner = null, bool gaveUp = false) =>
        new($"'{url}' failed after {attempts} attempt{(attempts == 1 ? "" : "s")}{(gaveUp ? " (retries exhausted)" : "")}: {reason.TrimEnd('.')}.",
            url, attempts, status, inner);

    private static bool IsTransient(HttpStatusCode status) => (int)status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Full jitter: a uniform wait up to BaseDelay * 2^(attempt-1), capped by MaxDelay.</summary>
    private TimeSpan Backoff(int attempt)
    {
        double cap = Math.Min(Options.MaxDelay.TotalMilliseconds, Options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap);
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        TimeSpan? wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
        if (wait is null) return null;
        if (wait < TimeSpan.Zero) return TimeSpan.Zero;
        return wait > Options.MaxDelay ? Options.MaxDelay : wait;
    }

    /// <summary>
    /// The response body, read under the idle timer (re-armed before every read) and cut off past MaxBytes,
    /// so neither a stalled server nor an endless body holds a worker.
    /// </summary>
    private sealed class GuardedStream(Stream inner, CancellationTokenSource idle, TimeSpan readTimeout, long maxBytes) : Stream
    {
        private long _read;

        public bool Exceeded { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // The idle source is linked to the caller's token, so it alone is enough here.
            idle.CancelAfter(readTimeout);
            int n = await inner.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            _read += n;
            if (_read > maxBytes)
            {
                Exceeded = true;
                throw new InvalidOperationException("The body is larger than MaxBytes.");
            }
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
