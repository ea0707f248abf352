using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Tests.Net;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose. One request per connection
/// (every answer says <c>Connection: close</c>). Routes:
/// <list type="bullet">
/// <item><c>/ok/{n}</c>: n bytes of <see cref="Content"/>.</item>
/// <item><c>/slow</c>: headers (Content-Length 100), then silence.</item>
/// <item><c>/hang</c>: reads the request, never answers.</item>
/// <item><c>/503-then-ok/{k}/{key}</c>: 503 (Retry-After: 0) for the first k requests to this path, then 100 bytes.</item>
/// <item><c>/always-503/{key}</c>: 503 forever.</item>
/// <item><c>/429/{seconds}/{key}</c>: 429 with Retry-After: seconds on the first request, then 100 bytes.</item>
/// <item><c>/endless</c>: no Content-Length, a megabyte of body, then close.</item>
/// <item><c>/reset/{key}</c>: Content-Length 1000, 100 bytes, then a TCP reset.</item>
/// <item><c>/truncated/{key}</c>: Content-Length 1000, 500 bytes, then a clean close.</item>
/// <item><c>/put/{key}</c>: records a PUT body (see <see cref="Uploads"/>), answers 204.</item>
/// <item><c>/big/{n}</c>: no Content-Length, n bytes of body in 64 KiB writes, then close.</item>
/// <item><c>/redirect?to=TARGET</c>: 302 with <c>Location: TARGET</c> (URL-decoded), any scheme.</item>
/// <item><c>/chain/{n}</c>: 302 to <c>/chain/{n-1}</c>, and <c>/chain/0</c> to <c>/ok/100</c>.</item>
/// <item>anything else: 404.</item>
/// </list>
/// </summary>
public sealed class FaultServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly Task _accept;

    public FaultServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Requests seen per path.</summary>
    public ConcurrentDictionary<string, int> Hits { get; } = new();

    /// <summary>PUT bodies per path.</summary>
    public ConcurrentDictionary<string, byte[]> Uploads { get; } = new();

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>The known body of <c>/ok/{n}</c>.</summary>
    public static byte[] Content(int n)
    {
        var bytes = new byte[n];
        for (int i = 0; i < n; i++) bytes[i] = (byte)(i * 31 + 7);
        return bytes;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _open[client] = 0;
            _ = Task.Run(async () =>
            {
                try { await ServeAsync(client); }
                catch (Exception) { /* a client that went away or a server stopping */ }
                finally
                {
                    _open.TryRemove(client, out _);
                    client.Dispose();
                }
            });
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var ct = _stop.Token;
        var stream = client.GetStream();
        var (method, path, headers, leftover) = await ReadHeadAsync(stream, ct);
        int hit = Hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        string query = path.Contains('?') ? path[(path.IndexOf('?') + 1)..] : "";
        string[] parts = path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        string route = parts.Length > 0 ? parts[0] : "";

        switch (route)
        {
            case "ok" when parts.Length > 1:
                await RespondAsync(stream, 200, "OK", Content(int.Parse(parts[1])), ct);
                break;
            case "slow":
                await WriteHeadAsync(stream, 200, "OK", 100, null, ct);
                await Task.Delay(Timeout.Infinite, ct);
                break;
            case "hang":
                await Task.Delay(Timeout.Infinite, ct);
                break;
            case "503-then-ok" when hit <= int.Parse(parts[1]):
            case "always-503":
                await RespondAsync(stream, 503, "Service Unavailable", [], ct, "Retry-After: 0");
                break;
            case "503-then-ok":
                await RespondAsync(stream, 200, "OK", Content(100), ct);
                break;
            case "429" when hit == 1:
                await RespondAsync(stream, 429, "Too Many Requests", [], ct, $"Retry-After: {parts[1]}");
                break;
            case "429":
                await RespondAsync(stream, 200, "OK", Content(100), ct);
                break;
            case "endless":
                await WriteHeadAsync(stream, 200, "OK", -1, null, ct);
                for (int i = 0; i < 1000; i++) await stream.WriteAsync(Content(1000), ct);
                break;
            case "reset":
                await WriteHeadAsync(stream, 200, "OK", 1000, null, ct);
                await stream.WriteAsync(Content(100), ct);
                await stream.FlushAsync(ct);
                client.Client.LingerState = new LingerOption(true, 0);
                client.Client.Close();
                break;
            case "truncated":
                await WriteHeadAsync(stream, 200, "OK", 1000, null, ct);
                await stream.WriteAsync(Content(500), ct);
                client.Client.Shutdown(SocketShutdown.Both);
                break;
            case "put" when method == "PUT":
                int length = int.Parse(headers.GetValueOrDefault("content-length", "0"));
                var body = new byte[length];
                leftover.AsSpan(0, Math.Min(leftover.Length, length)).CopyTo(body);
                if (length > leftover.Length) await stream.ReadExactlyAsync(body.AsMemory(leftover.Length), ct);
                Uploads[path] = body;
                await RespondAsync(stream, 204, "No Content", [], ct);
                break;
            case "big" when parts.Length > 1:
                await WriteHeadAsync(stream, 200, "OK", -1, null, ct);
                long left = long.Parse(parts[1]);
                var block = Content(64 * 1024);
                while (left > 0)
                {
                    int piece = (int)Math.Min(left, block.Length);
                    await stream.WriteAsync(block.AsMemory(0, piece), ct);
                    left -= piece;
                }
                break;
            case "redirect" when query.StartsWith("to=", StringComparison.Ordinal):
                await RespondAsync(stream, 302, "Found", [], ct, $"Location: {Uri.UnescapeDataString(query[3..])}");
                break;
            case "chain" when parts.Length > 1:
                int n = int.Parse(parts[1]);
                await RespondAsync(stream, 302, "Found", [], ct, $"Location: {(n == 0 ? "/ok/100" : $"/chain/{n - 1}")}");
                break;
            default:
                await RespondAsync(stream, 404, "Not Found", Encoding.ASCII.GetBytes("no such route"), ct);
                break;
        }
    }

    /// <summary>Reads up to the blank line; returns the method, path, lower-cased headers and any body bytes read past it.</summary>
    private static async Task<(string Method, string Path, Dictionary<string, string> Headers, byte[] Leftover)> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int filled = 0, end;
        while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length) throw new InvalidDataException("Request head too large.");
            int n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0) throw new EndOfStreamException();
            filled += n;
        }
        string[] lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>();
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        return (requestLine[0], requestLine[1], headers, buffer[(end + 4)..filled]);
    }

    private static async Task WriteHeadAsync(NetworkStream stream, int status, string reason, int length, string? extraHeader, CancellationToken ct)
    {
        var head = new StringBuilder()
            .Append($"HTTP/1.1 {status} {reason}\r\n")
            .Append(length >= 0 ? $"Content-Length: {length}\r\n" : "")
            .Append("Connection: close\r\n");
        if (extraHeader is not null) head.Append(extraHeader).Append("\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        await stream.FlushAsync(ct);
    }

    private static async Task RespondAsync(NetworkStream stream, int status, string reason, byte[] body, CancellationToken ct, string? extraHeader = null)
    {
        await WriteHeadAsync(stream, status, reason, body.Length, extraHeader, ct);
        await stream.WriteAsync(body, ct);
        await stream.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _open.Keys) client.Dispose();
        await _accept;
        _stop.Dispose();
    }
}
