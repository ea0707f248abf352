using Sluice;

namespace Sluice.Pipelines.Tests;

public sealed record Chunk(int Id, int Size);
public sealed record ChunkSum(int Id, long Sum, int Kept);

/// <summary>
/// Two segments that allocate payloads (an async "download" and a CPU "decode" made from it), a filter
/// that drops rows still holding payloads, and a batch stage: the shape that deadlocks or balloons
/// without a tiered, hard memory budget.
/// </summary>
[Pipeline(typeof(Chunk), typeof(ChunkSum))]
public static partial class Payloads
{
    [Stage(MaxConcurrency = 8)]
    static async ValueTask<Blob> Bytes(int id, int size, CancellationToken ct)
    {
        var blob = await Blob.RentAsync(size, ct);
        blob.Span.Fill((byte)(id % 251));
        return blob;
    }

    [Stage] static Blob Decoded(Blob bytes)
    {
        var decoded = Blob.Rent(bytes.Length);
        bytes.Span.CopyTo(decoded.Span);
        return decoded;
    }

    [Filter] static bool Kept(int id) => id % 5 != 0;

    [Stage] static long Sum(Blob decoded)
    {
        long sum = 0;
        foreach (var b in decoded.Span) sum += b;
        return sum;
    }

    [Stage(BatchSize = 16)]
    static void Count(ReadOnlySpan<long> sum, Span<int> kept)
    {
        for (int i = 0; i < sum.Length; i++) kept[i] = sum[i] > 0 ? 1 : 0;
    }
}
