using System.IO.Compression;
using Sluice;

namespace Sluice.Tests.IO;

/// <summary>A fresh temporary directory, deleted at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"sluice-io-{Guid.NewGuid():N}");

    public string this[string relative] => Path.Combine(Root, relative);

    /// <summary>Writes a file (creating its directory) and returns its path.</summary>
    public string Write(string relative, string text)
    {
        string path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string WriteGzip(string relative, string text)
    {
        string path = this[relative];
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionMode.Compress);
        gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public sealed record BadRow(string Location, string Message, string? Raw);

public static class IoTest
{
    /// <summary>Reads every row in chunks of <paramref name="chunk"/>, collecting the bad rows the source reports.</summary>
    public static async Task<(List<T> Rows, List<BadRow> Bad)> ReadAllAsync<T>(ISource<T> source, RowCodec<T> codec, int chunk = 5)
    {
        var bad = new List<BadRow>();
        var rows = new List<T>();
        await using var reader = source.Open(new SourceContext<T>(codec, (l, m, r) => bad.Add(new BadRow(l, m, r))));
        var buffer = new T[chunk];
        int n;
        while ((n = await reader.ReadAsync(buffer, CancellationToken.None)) > 0) rows.AddRange(buffer.AsSpan(0, n));
        return (rows, bad);
    }

    public static async Task WriteAllAsync<T>(ISink<T> sink, RowCodec<T> codec, IEnumerable<T> rows, bool complete = true)
    {
        await using var writer = sink.Open(new SinkContext<T>(codec));
        foreach (var chunk in rows.Chunk(3)) await writer.WriteAsync(chunk, CancellationToken.None);
        if (complete) await writer.CompleteAsync(CancellationToken.None);
    }

    public static string ReadGzipText(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var text = new StreamReader(gzip);
        return text.ReadToEnd();
    }

    public static readonly Item[] Items =
    {
        new("plain", 1, 0.5, true, Color.Red, [1, 2, 3]),
        new("comma, \"quoted\"\nnew line", -7, null, false, Color.Blue, []),
        new("unicode é 日本語 🚀", int.MaxValue, 1e-300, true, Color.Green, [uint.MaxValue]),
        new("", 0, -0.1, false, Color.Red, [0]),
    };
}
