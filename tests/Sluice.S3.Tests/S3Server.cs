using Xunit;
using System.Diagnostics;
using Amazon.Runtime;
using Sluice.S3;

namespace Sluice.S3.Tests;

/// <summary>
/// npm's s3rver 3.7.1 (installed by scripts/setup-columnar.sh into tools/node), started on 127.0.0.1 with a fresh
/// directory and the buckets <c>data</c> and <c>out</c>; one per test collection. s3rver keeps each object as a file
/// (<c>DIR/bucket/key._S3rver_object</c>), which lets a test check the stored bytes without any S3 client.
/// </summary>
public sealed class S3Server : IDisposable
{
    private readonly Process _node;

    public S3Server()
    {
        Directory = Path.Combine(Path.GetTempPath(), "sluice-s3rver-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        string tools = ToolsNode();
        if (!File.Exists(Path.Combine(tools, "node_modules", "s3rver", "package.json")))
            throw new InvalidOperationException($"npm s3rver is missing in {tools}; run scripts/setup-columnar.sh.");
        var psi = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "s3rver.js"), tools, Directory, "data", "out" }) psi.ArgumentList.Add(a);
        _node = Process.Start(psi)!;
        string? line = _node.StandardOutput.ReadLine();
        if (line is null || !int.TryParse(line, out int port))
            throw new InvalidOperationException($"s3rver did not start: {line} {_node.StandardError.ReadToEnd()}");
        Port = port;
        Url = $"http://127.0.0.1:{port}";
    }

    public int Port { get; }

    public string Url { get; }

    /// <summary>Where s3rver keeps the objects.</summary>
    public string Directory { get; }

    /// <summary>s3rver's default account.</summary>
    public static AWSCredentials Credentials { get; } = new BasicAWSCredentials("S3RVER", "S3RVER");

    /// <summary>Options for a store that talks to this server (or to <paramref name="endpoint"/>, a proxy in front of it).</summary>
    public S3Options Options(string? endpoint = null) => new() { ServiceUrl = endpoint ?? Url, Credentials = Credentials };

    /// <summary>The bytes s3rver stored for an object, read from its directory.</summary>
    public byte[] StoredBytes(string bucket, string key) => File.ReadAllBytes(Path.Combine(Directory, bucket, key + "._S3rver_object"));

    private static string ToolsNode()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipelines.sln"))) return Path.Combine(dir.FullName, "tools", "node");
        throw new InvalidOperationException("The repository root (Pipelines.sln) is not above the test assembly.");
    }

    public void Dispose()
    {
        try
        {
            _node.StandardInput.Close();
            if (!_node.WaitForExit(5_000)) _node.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        _node.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("s3")]
public sealed class S3Collection : ICollectionFixture<S3Server>;
