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

public sealed record Slotted(int Id);
public sealed record Checked(int Id, int Contiguous, int Value);

/// <summary>
/// Per-row tensors bound for a batch stage (the shape of image preprocessing before a model): the batch
/// stage reports whether its batch lay in one buffer (<see cref="Tensor.TryGetContiguous"/>, the model's
/// input as it is) and each row's value, which must still be its own. A row whose id is one less than a
/// multiple of <see cref="FailEvery"/> fails before it takes a tensor (as an image that does not decode);
/// one of <see cref="HoleEvery"/> fails after it took one (leaving a hole in its batch buffer).
/// </summary>
[Pipeline(typeof(Slotted), typeof(Checked))]
public static partial class TensorBatches
{
    public const int BatchSize = 8;
    public static int FailEvery = int.MaxValue;
    public static int HoleEvery = int.MaxValue;

    [Stage] static int Decoded(int id) => id % FailEvery == FailEvery - 1 ? throw new InvalidDataException($"row {id} does not decode") : id;

    [Stage] static Tensor Values(int decoded) => Tensor.Create(4, decoded, static (id, t) =>
    {
        if (id % HoleEvery == HoleEvery - 1) throw new InvalidDataException($"row {id} is bad");
        t.Fill(id);
    });

    [Stage(BatchSize = BatchSize)]
    static void Check(ReadOnlySpan<Tensor> values, Span<int> contiguous, Span<int> value)
    {
        int whole = Tensor.TryGetContiguous(values, out _) ? 1 : 0;
        for (int i = 0; i < values.Length; i++)
        {
            contiguous[i] = whole;
            value[i] = (int)values[i].Span[^1];
        }
    }
}

public sealed record Opaque(int Id, object Extra);

// On purpose: a record files cannot hold (SLU1002 is a warning; the run-time error must say why).
#pragma warning disable SLU1002
[Pipeline(typeof(Slotted), typeof(Opaque))]
public static partial class OpaqueOutput
{
    [Stage] static object Extra(int id) => id;
}
#pragma warning restore SLU1002

/// <summary>A listing as other tools write it: snake_case columns, one renamed, one nothing reads, one nullable.</summary>
public sealed record Listing(
    [property: Column("image_path")] string ImagePath,
    [property: System.Text.Json.Serialization.JsonPropertyName("Caption Text")] string Caption,
    string Unused,
    int? Rank);

public sealed record ListingOut(string ImagePath, int CaptionLength, long ItemRank);

[Pipeline(typeof(Listing), typeof(ListingOut), Naming = ColumnNaming.SnakeCase)]
public static partial class Listings
{
    [Stage] static int CaptionLength(string caption) => caption.Length;
    [Stage] static long ItemRank(int? rank) => rank ?? -1;
}
