using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Sluice.Tests.IO;
using Xunit;

namespace Sluice.Tests.Net;

public sealed class DownloaderTests : IAsyncLifetime
{
    private readonly FaultServer _server = new();

    /// <summary>Small timeouts and delays so the whole suite stays fast.</summary>
    private static readonly DownloaderOptions Fast = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ReadTimeout = TimeSpan.FromSeconds(2),
        Timeout = TimeSpan.FromSeconds(3),
        MaxRetries = 2,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(50),
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Get_ReturnsTheBytesExactly()
    {
        using var http = new Downloader(Fast);
        using var blob = await http.GetAsync(_server.Url("/ok/100000"), default);
        Assert.Equal(FaultServer.Content(100_000), blob.Span.ToArray());
    }

    [Fact]
    public async Task Get_Retries503ThenSucceeds()
    {
        using var http = new Downloader(Fast with { MaxRetries = 3 });
        using var blob = await http.GetAsync(_server.Url("/503-then-ok/2/a"), default);
        Assert.Equal(FaultServer.Content(100), blob.Span.ToArray());
        Assert.Equal(3, _server.Hits["/503-then-ok/2/a"]);
    }

    [Fact]
    public async Task Get_HonoursRetryAfter()
    {
        using var http = new Downloader(Fast with { MaxDelay = TimeSpan.FromSeconds(5) });
        var clock = Stopwatch.StartNew();
        using var blob = await http.GetAsync(_server.Url("/429/1/a"), default);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.ElapsedMilliseconds} ms, before Retry-After: 1");
        Assert.Equal(2, _server.Hits["/429/1/a"]);
    }

    [Fact]
    public async Task Get_CapsRetryAfterAtMaxDelay()
    {
        using var http = new Downloader(Fast with { MaxDelay = TimeSpan.FromMilliseconds(100) });
        var clock = Stopwatch.StartNew();
        using var blob = await http.GetAsync(_server.Url("/429/60/b"), default);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"waited {clock.ElapsedMilliseconds} ms despite MaxDelay");
    }

    [Fact]
    public async Task Get_GivesUpAfterMaxRetriesWithAClearMessage()
    {
        using var http = new Downloader(Fast);
        string url = _server.Url("/always-503/a");
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Equal(3, _server.Hits["/always-503/a"]);
        Assert.Equal(3, e.Attempts);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Contains(url, e.Message);
        Assert.Contains("3 attempts (retries exhausted)", e.Message);
        Assert.Contains("503", e.Message);
    }

    [Fact]
    public async Task Get_DoesNotRetry404()
    {
        using var http = new Downloader(Fast);
        string url = _server.Url("/missing");
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Equal(1, _server.Hits["/missing"]);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Contains(url, e.Message);
        Assert.Contains("404 (Not Found)", e.Message);
        Assert.Contains("1 attempt", e.Message);
    }

    [Fact]
    public async Task Get_EndsAServerThatNeverAnswersWithATimeout()
    {
        using var http = new Downloader(Fast with { Timeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1 });
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/hang"), default).AsTask());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("timed out", e.Message);
        Assert.Contains("2 attempts", e.Message);
        Assert.Contains("/hang", e.Message);
    }

    [Fact]
    public async Task Get_EndsAStalledBodyWithTheReadTimeout()
    {
        using var http = new Downloader(Fast with { ReadTimeout = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(20), MaxRetries = 0 });
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/slow"), default).AsTask());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.ElapsedMilliseconds} ms");
        Assert.Contains("ReadTimeout", e.Message);
    }

    [Fact]
    public async Task Get_StopsWhenTheCallerCancels()
    {
        using var http = new Downloader(Fast with { Timeout = TimeSpan.FromSeconds(20) });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.GetAsync(_server.Url("/hang"), cts.Token).AsTask());
    }

    [Fact]
    public async Task Get_RetriesAResetBodyThenFails()
    {
        using var http = new Downloader(Fast);
        string url = _server.Url("/reset/a");
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Equal(3, _server.Hits["/reset/a"]);
        Assert.Contains(url, e.Message);
        Assert.Contains("3 attempts", e.Message);
    }

    [Fact]
    public async Task Get_RetriesATruncatedBodyThenFails()
    {
        using var http = new Downloader(Fast);
        string url = _server.Url("/truncated/a");
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Equal(3, _server.Hits["/truncated/a"]);
        Assert.Contains(url, e.Message);
        Assert.Contains("3 attempts", e.Message);
    }

    [Fact]
    public async Task Get_RetriesARefusedConnectionThenFails()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var http = new Downloader(Fast);
        string url = $"http://127.0.0.1:{port}/x";
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Equal(3, e.Attempts);
        Assert.Contains(url, e.Message);
    }

    [Fact]
    public async Task Get_RejectsABodyLargerThanMaxBytesWithoutRetrying()
    {
        using var http = new Downloader(Fast with { MaxBytes = 1000 });
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/ok/5000"), default).AsTask());
        Assert.Equal(1, _server.Hits["/ok/5000"]);
        Assert.Contains("MaxBytes", e.Message);
    }

    [Fact]
    public async Task Get_CutsOffABodyWithoutContentLengthPastMaxBytes()
    {
        using var http = new Downloader(Fast with { MaxBytes = 100_000 });
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/endless"), default).AsTask());
        Assert.Equal(1, _server.Hits["/endless"]);
        Assert.Contains("larger than MaxBytes", e.Message);
    }

    [Fact]
    public async Task Get_ReadsFileUrlsAbsolutePathsAndRelativePaths()
    {
        using var dir = new TempDir();
        string path = dir["data/payload.bin"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, FaultServer.Content(3000));
        using var http = new Downloader(Fast);
        foreach (var target in new[] { new Uri(path).AbsoluteUri, path, Path.GetRelativePath(Environment.CurrentDirectory, path) })
        {
            using var blob = await http.GetAsync(target, default);
            Assert.Equal(FaultServer.Content(3000), blob.Span.ToArray());
        }
    }

    [Fact]
    public async Task Get_ResolvesFileUrlsOnLocalhostAsLocalPaths()
    {
        using var dir = new TempDir();
        string path = dir["local.bin"];
        File.WriteAllBytes(path, FaultServer.Content(64));
        using var http = new Downloader(Fast);
        using var blob = await http.GetAsync("file://localhost" + path, default);
        Assert.Equal(FaultServer.Content(64), blob.Span.ToArray());
        // Another host is no local path: refused by name.
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => http.GetAsync("file://example.com" + path, default).AsTask());
        Assert.Contains("file://example.com", e.Message);
        Assert.Contains("only local file URLs", e.Message);
    }

    [Fact]
    public async Task Get_FollowsHttpRedirectsRelativeAndAbsolute()
    {
        using var http = new Downloader(Fast);
        using (var blob = await http.GetAsync(_server.Url("/redirect?to=" + Uri.EscapeDataString("/ok/500")), default))
            Assert.Equal(FaultServer.Content(500), blob.Span.ToArray());
        using (var blob = await http.GetAsync(_server.Url("/redirect?to=" + Uri.EscapeDataString(_server.Url("/ok/700"))), default))
            Assert.Equal(FaultServer.Content(700), blob.Span.ToArray());
        using (var blob = await http.GetAsync(_server.Url("/chain/5"), default))
            Assert.Equal(FaultServer.Content(100), blob.Span.ToArray());
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/secret")]
    [InlineData("gopher://127.0.0.1:70/1")]
    [InlineData("file:///etc/passwd")]
    public async Task Get_RefusesARedirectToAnotherSchemeNamingIt(string target)
    {
        using var http = new Downloader(Fast);
        string url = _server.Url("/redirect?to=" + Uri.EscapeDataString(target));
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(url, default).AsTask());
        Assert.Contains(target, e.Message);
        Assert.Contains("not followed", e.Message);
        Assert.Equal(1, e.Attempts); // a refusal is no transient error: not retried
    }

    [Fact]
    public async Task Get_StopsAnEndlessRedirectChain()
    {
        using var http = new Downloader(Fast with { MaxRedirects = 3 });
        var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/chain/10"), default).AsTask());
        Assert.Contains("more than 3 redirects", e.Message);
        var bad = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url("/redirect?to=" + Uri.EscapeDataString("http://[::1")), default).AsTask());
        Assert.Contains("http://[::1", bad.Message);
        Assert.DoesNotContain("UriFormatException", bad.Message);
    }

    [Fact]
    public async Task Get_RefusesPathsThatAreNoRegularFileWithoutOpeningThem()
    {
        using var dir = new TempDir();
        string fifo = dir["pipe"];
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));
        using var http = new Downloader(Fast);
        // Opening the FIFO would block until a writer comes: the call must be refused at once.
        var read = http.GetAsync(fifo, default).AsTask();
        Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))) == read, "reading a FIFO hung");
        var e = await Assert.ThrowsAsync<DownloadException>(() => read);
        Assert.Contains("is a FIFO (named pipe), not a regular file", e.Message);
        Assert.Contains(fifo, e.Message);

        e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync("/dev/zero", default).AsTask());
        Assert.Contains("is a character device", e.Message);
        e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(dir.Root, default).AsTask());
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public async Task Allowed_roots_confine_local_reads_and_writes_through_links_and_dot_dots()
    {
        using var dir = new TempDir();
        string inside = dir.Write("allowed/a.bin", "inside");
        string outside = dir.Write("private/secret.txt", "secret");
        string link = dir["allowed/link.txt"];
        File.CreateSymbolicLink(link, outside);
        using var http = new Downloader(Fast with { AllowedRoots = [dir["allowed"]] });

        using (var blob = await http.GetAsync(inside, default)) Assert.Equal("inside"u8.ToArray(), blob.Span.ToArray());
        using (var blob = await http.GetAsync(new Uri(inside).AbsoluteUri, default)) Assert.Equal(6, blob.Length);
        foreach (var target in new[] { outside, link, dir["allowed/../private/secret.txt"], new Uri(outside).AbsoluteUri })
        {
            var e = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => http.GetAsync(target, default).AsTask());
            Assert.Contains(target, e.Message);
            Assert.Contains("outside the folders local reads are allowed from", e.Message);
            Assert.DoesNotContain("secret\"", e.Message);
        }
        await http.PutAsync(dir["allowed/out/b.bin"], "b"u8.ToArray(), default);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => http.PutAsync(dir["private/c.bin"], "c"u8.ToArray(), default).AsTask());
        Assert.False(File.Exists(dir["private/c.bin"]));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => http.PutAsync(dir["new/deep/d.bin"], "d"u8.ToArray(), default).AsTask());
        Assert.False(Directory.Exists(dir["new"])); // no folder made outside the roots

        var settings = new PipelineOptions();
        settings.Settings["downloader.allowed_roots"] = $"{dir["allowed"]}:/srv/data";
        Assert.Equal([dir["allowed"], "/srv/data"], Downloader.FromSettings(settings).AllowedRoots);
    }

    [Fact]
    public async Task An_oversized_body_without_a_length_holds_no_more_than_MaxBytes_before_it_fails()
    {
        var budget = new MemoryBudget(null); // unbounded, but it measures
        const long maxBytes = 8 << 20;
        await Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast with { MaxBytes = maxBytes, MaxRetries = 0 });
            var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url($"/big/{40 << 20}"), default).AsTask());
            Assert.Contains("larger than MaxBytes", e.Message);
            using var ok = await http.GetAsync(_server.Url($"/big/{3 << 20}"), default);
            Assert.Equal(3 << 20, ok.Length);
        });
        // Before: the doubling buffer held about 3x MaxBytes (16 MiB copied into 32) before the cut-off.
        Assert.InRange(budget.Peak, 3 << 20, maxBytes + (2 << 20));
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task Concurrent_bodies_without_a_length_under_a_small_limit_finish_instead_of_stalling()
    {
        // Six bodies of 24 MB without Content-Length through a 64 MB budget: each needs its chunks and then one
        // blob of its size, so together they can never fit. Before, they waited on each other for ever; now a
        // wait for budget ends with the attempt Timeout, and the row fails naming the size and the limit.
        var budget = new MemoryBudget(64L << 20);
        var run = Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast with { MaxBytes = 32 << 20, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(4), ReadTimeout = TimeSpan.FromSeconds(4) });
            var calls = Enumerable.Range(0, 6).Select(async i =>
            {
                try
                {
                    using var blob = await http.GetAsync(_server.Url($"/big/{24_000_000 + i}"), default);
                    Assert.Equal(24_000_000 + i, blob.Length);
                    return (string?)null;
                }
                catch (DownloadException e) { return e.Message; }
            }).ToArray();
            return await Task.WhenAll(calls);
        });
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(90))) == run, "the downloads stalled");
        var outcomes = await run;
        // A body waiting for budget fails naming the size and the limit; one whose wait was for the network when
        // the attempt ran out says so.
        var failures = outcomes.Where(o => o is not null).ToList();
        Assert.Contains(failures, m => m!.Contains("more bytes of memory budget") && m.Contains("--memory-limit 67,108,864 bytes"));
        Assert.All(failures, m => Assert.True(m!.Contains("memory budget") || m.Contains("timed out"), m));
        Assert.Equal(0, budget.InFlight);
        Assert.True(budget.Peak <= 64L << 20);
        // What they held went back: the next body goes through.
        await Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast);
            using var blob = await http.GetAsync(_server.Url($"/big/{20_000_000}"), default);
            Assert.Equal(20_000_000, blob.Length);
        });
    }

    [Theory]
    [InlineData(8 << 20)]
    [InlineData(16 << 20)]
    public async Task Many_concurrent_bodies_near_and_above_MaxBytes_under_a_small_limit_all_finish(long limit)
    {
        // 30 bodies without Content-Length at once: just under, at and just over MaxBytes, twice it and far
        // beyond it, through a budget of two or four MaxBytes. Every call ends (a result or a clear error)
        // within its timeouts, nothing over MaxBytes gets through, and the budget is whole again after.
        const int maxBytes = 4 << 20;
        int[] sizes = [maxBytes - 1, maxBytes, maxBytes + 1, 2 * maxBytes, 64 << 20, 1 << 20];
        var budget = new MemoryBudget(limit);
        var run = Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast with { MaxBytes = maxBytes, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(3), ReadTimeout = TimeSpan.FromSeconds(3) });
            return await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            {
                int size = sizes[i % sizes.Length];
                try
                {
                    using var blob = await http.GetAsync(_server.Url($"/big/{size}"), default);
                    return (size, blob.Length, Error: (string?)null);
                }
                catch (DownloadException e) { return (size, Length: -1, Error: e.Message); }
            }));
        });
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120))) == run, "the downloads stalled");
        var outcomes = await run;
        foreach (var (size, length, error) in outcomes)
        {
            if (error is null)
            {
                Assert.True(size <= maxBytes, $"a body of {size:N0} bytes passed MaxBytes {maxBytes:N0}");
                Assert.Equal(size, length);
            }
            else
            {
                Assert.True(error.Contains("MaxBytes") || error.Contains("memory budget") || error.Contains("timed out"), error);
            }
        }
        Assert.Equal(0, budget.InFlight);
        Assert.True(budget.Peak <= limit, $"peak {budget.Peak:N0} over the limit {limit:N0}");
        // Under this much contention every call may end in a budget error; what they held went back, so the
        // next one goes through.
        await Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast with { MaxBytes = maxBytes });
            using var blob = await http.GetAsync(_server.Url($"/big/{maxBytes / 2}"), default);
            Assert.Equal(maxBytes / 2, blob.Length);
        });
    }

    [Fact]
    public async Task A_body_larger_than_the_whole_limit_fails_at_once_naming_both()
    {
        var budget = new MemoryBudget(4L << 20);
        await Task.Run(async () =>
        {
            MemoryBudget.Enter(budget, 0);
            using var http = new Downloader(Fast with { MaxRetries = 0 });
            var e = await Assert.ThrowsAsync<DownloadException>(() => http.GetAsync(_server.Url($"/big/{10 << 20}"), default).AsTask());
            Assert.Contains("larger than the whole memory limit (4,194,304 bytes)", e.Message);
        });
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task Get_NamesAMissingFile()
    {
        using var dir = new TempDir();
        string path = dir["nope.bin"];
        using var http = new Downloader(Fast);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => http.GetAsync(path, default).AsTask());
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task Get_ServesAHundredConcurrentCalls()
    {
        using var http = new Downloader(Fast with { MaxConnectionsPerServer = 32 });
        var blobs = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => http.GetAsync(_server.Url($"/ok/{1000 + i}"), default).AsTask()));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(FaultServer.Content(1000 + i), blobs[i].Span.ToArray());
            blobs[i].Dispose();
        }
    }

    [Fact]
    public async Task Get_ChargesTheBlobToTheCurrentBudget()
    {
        var budget = new MemoryBudget(limit: 1 << 20);
        MemoryBudget.Enter(budget, segment: 0);
        using var http = new Downloader(Fast);
        var blob = await http.GetAsync(_server.Url("/ok/5000"), default);
        Assert.Equal(MemoryBudget.SizeClass(5000), budget.InFlight); // charged at its array's size class
        blob.Dispose();
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task Put_SendsTheBodyToTheServer()
    {
        using var http = new Downloader(Fast);
        await http.PutAsync(_server.Url("/put/a"), FaultServer.Content(20_000), default);
        Assert.Equal(FaultServer.Content(20_000), _server.Uploads["/put/a"]);
    }

    [Fact]
    public async Task Put_WritesAFileAtomicallyCreatingDirectories()
    {
        using var dir = new TempDir();
        string path = dir["out/deep/payload.bin"];
        using var http = new Downloader(Fast);
        await http.PutAsync(path, FaultServer.Content(10), default);
        await http.PutAsync(new Uri(path).AbsoluteUri, FaultServer.Content(700), default);
        Assert.Equal(FaultServer.Content(700), File.ReadAllBytes(path));
        Assert.Equal(["payload.bin"], Directory.GetFiles(dir["out/deep"]).Select(Path.GetFileName));
    }

    [Fact]
    public void Constructor_ReadsTheRunSettings()
    {
        var options = new PipelineOptions();
        options.Settings["downloader.timeout"] = "7.5";
        options.Settings["downloader.retries"] = "5";
        options.Settings["downloader.max_bytes"] = "1024";
        var d = Downloader.FromSettings(options);
        Assert.Equal(TimeSpan.FromSeconds(7.5), d.Timeout);
        Assert.Equal(5, d.MaxRetries);
        Assert.Equal(1024, d.MaxBytes);
        Assert.Equal(new DownloaderOptions().ReadTimeout, d.ReadTimeout);
    }
}
