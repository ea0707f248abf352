using Sluice;

namespace Sluice.S3.Tests;

public sealed record Row(long Id, string Name, double Score, float[] Embedding, int? Rank);
public sealed record RowOut(long Id, string Name, double Score, float[] Embedding, int? Rank, int NameLength);

[Pipeline(typeof(Row), typeof(RowOut))]
public static partial class Rows
{
    [Stage] static int NameLength(string name) => name.Length;
}

/// <summary>Two columns of a wide table.</summary>
public sealed record Slim(long Id, string Name);
public sealed record SlimOut(long Id, int NameLength);

[Pipeline(typeof(Slim), typeof(SlimOut))]
public static partial class SlimRows
{
    [Stage] static int NameLength(string name) => name.Length;
}

/// <summary>A download stage over s3:// URLs.</summary>
public sealed record Fetch(string Url);
public sealed record Fetched(string Url, int Size, long Sum);

[Pipeline(typeof(Fetch), typeof(Fetched))]
public static partial class Fetches
{
    [Resource] static Downloader Http(PipelineContext ctx) => new(ctx);

    [Stage(MaxConcurrency = 4)]
    static async Task<Blob> Body(string url, Downloader http, CancellationToken ct) => await http.GetAsync(url, ct);

    [Stage] static int Size(Blob body) => body.Length;

    [Stage] static long Sum(Blob body) => Checksum(body.Span);

    public static long Checksum(ReadOnlySpan<byte> bytes)
    {
        long sum = 17;
        foreach (byte b in bytes) sum = sum * 31 + b;
        return sum;
    }
}
