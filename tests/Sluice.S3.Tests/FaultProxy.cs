using System.Net;
using System.Net.Sockets;

namespace Sluice.S3.Tests;

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of s3rver that fails on purpose: every <see cref="SlowDownEvery"/>-th request is
/// answered 503 SlowDown (S3's throttling answer) without reaching the server, and every <see cref="CutEvery"/>-th GET
/// with a body sends half of it and drops the connection. Requests are forwarded with their Host header, so that their
/// signatures still hold.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    private readonly string _target;
    private readonly Task _loop;
    private int _requests, _gets;
    private int _slowDowns, _cuts;

    public FaultProxy(string target, int slowDownEvery, int cutEvery)
    {
        _target = target.TrimEnd('/');
        SlowDownEvery = slowDownEvery;
        CutEvery = cutEvery;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public int SlowDownEvery { get; }
    public int CutEvery { get; }

    /// <summary>Requests answered 503 SlowDown.</summary>
    public int SlowDowns => Volatile.Read(ref _slowDowns);

    /// <summary>GET bodies cut off halfway.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var body = new MemoryStream();
            if (request.HasEntityBody) await request.InputStream.CopyToAsync(body);
            if (SlowDownEvery > 0 && Interlocked.Increment(ref _requests) % SlowDownEvery == 0)
            {
                Interlocked.Increment(ref _slowDowns);
                response.StatusCode = 503;
                response.ContentType = "application/xml";
                byte[] error = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"u8.ToArray();
                response.ContentLength64 = error.Length;
                await response.OutputStream.WriteAsync(error);
                response.Close();
                return;
            }

            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.RawUrl);
            if (request.HasEntityBody || body.Length > 0) forward.Content = new ByteArrayContent(body.ToArray());
            foreach (string? name in request.Headers.AllKeys)
            {
                if (name is null) continue;
                string value = request.Headers[name]!;
                switch (name.ToLowerInvariant())
                {
                    case "host": forward.Headers.Host = value; break;
                    case "connection" or "keep-alive" or "transfer-encoding" or "expect" or "content-length": break;
                    case "content-type" or "content-md5" or "content-encoding" or "content-disposition" or "content-language":
                        (forward.Content ??= new ByteArrayContent([])).Headers.TryAddWithoutValidation(name, value);
                        break;
                    default: forward.Headers.TryAddWithoutValidation(name, value); break;
                }
            }
            using var answer = await _client.SendAsync(forward, HttpCompletionOption.ResponseContentRead);
            byte[] content = await answer.Content.ReadAsByteArrayAsync();
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)) continue;
                response.Headers[name] = string.Join(",", values);
            }
            response.ContentLength64 = content.Length;
            bool cut = request.HttpMethod == "GET" && content.Length >= 2 && CutEvery > 0 && Interlocked.Increment(ref _gets) % CutEvery == 0;
            if (cut)
            {
                Interlocked.Increment(ref _cuts);
                await response.OutputStream.WriteAsync(content.AsMemory(0, content.Length / 2));
                await response.OutputStream.FlushAsync();
                response.Abort();
                return;
            }
            await response.OutputStream.WriteAsync(content);
            response.Close();
        }
        catch (Exception)
        {
            try { response.Abort(); } catch (Exception) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _client.Dispose();
        try { _loop.Wait(2_000); } catch (Exception) { }
    }
}
