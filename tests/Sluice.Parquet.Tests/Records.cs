using Sluice;

namespace Sluice.Parquet.Tests;

public enum Kind { Photo, Text, Audio }

/// <summary>Every column type the columnar codec handles: integers, floats, strings, a nullable of each kind, a timestamp, an enum, lists.</summary>
public sealed record Item(long Id, int Count, string Title, string? Note, double Score, float Weight, bool Flag, int? Rank,
                          DateTime Taken, Kind Kind, float[] Embedding, int[]? Tokens);

public sealed record ItemOut(long Id, int Count, string Title, int TitleLength, string? Note, double Score, float Weight, bool Flag,
                             int? Rank, DateTime Taken, Kind Kind, float[] Embedding, int[]? Tokens);

[Pipeline(typeof(Item), typeof(ItemOut))]
public static partial class Items
{
    [Stage] static int TitleLength(string title) => title.Length;
}

/// <summary>Reads two of the item's columns.</summary>
public sealed record Slim(long Id, string Title);
public sealed record SlimOut(long Id, int TitleLength);

[Pipeline(typeof(Slim), typeof(SlimOut))]
public static partial class SlimItems
{
    [Stage] static int TitleLength(string title) => title.Length;
}

public static class ItemData
{
    public static List<Item> Make(int n, int seed = 1)
    {
        var rng = new Random(seed);
        var items = new List<Item>();
        for (int i = 0; i < n; i++)
        {
            var emb = new float[4];
            for (int k = 0; k < emb.Length; k++) emb[k] = (float)Math.Round(rng.NextDouble() * 2 - 1, 4);
            items.Add(new Item(
                Id: 1_000_000_000_000L + i,
                Count: rng.Next(-1000, 1000),
                Title: i % 7 == 0 ? $"título {i} ✓" : $"title {i}",
                Note: i % 3 == 0 ? null : $"note {i}",
                Score: Math.Round(rng.NextDouble() * 100, 6),
                Weight: (float)Math.Round(rng.NextDouble(), 3),
                Flag: i % 2 == 0,
                Rank: i % 4 == 0 ? null : i,
                Taken: new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 3_601.5),
                Kind: (Kind)(i % 3),
                Embedding: emb,
                Tokens: i % 5 == 0 ? null : Enumerable.Range(i, i % 4).ToArray()));
        }
        return items;
    }
}

/// <summary>A binary column: audio bytes as a pooled <see cref="Blob"/>.</summary>
public sealed record Clip(string Id, Blob Audio);
public sealed record ClipOut(string Id, int Size, int Checksum, Blob Audio);

[Pipeline(typeof(Clip), typeof(ClipOut))]
public static partial class Clips
{
    [Stage] static int Size(Blob audio) => audio.Length;
    [Stage] static int Checksum(Blob audio) { int sum = 0; foreach (byte b in audio.Span) sum = sum * 31 + b; return sum; }
}

/// <summary>Fixed-size lists: a 4-float embedding and 3 token ids (nullable).</summary>
public sealed record Vec(long Id, [FixedSize(4)] float[] Embedding, [FixedSize(3)] int[]? Tokens);
public sealed record VecOut(long Id, [FixedSize(4)] float[] Embedding, [FixedSize(3)] int[]? Tokens, float Sum);

[Pipeline(typeof(Vec), typeof(VecOut))]
public static partial class Vecs
{
    [Stage] static float Sum(float[] embedding) => embedding.Sum();
}

/// <summary>The same columns as plain lists (any length), to feed rows of the wrong length.</summary>
public sealed record LooseVec(long Id, float[] Embedding, int[]? Tokens);

[Pipeline(typeof(LooseVec), typeof(VecOut))]
public static partial class LooseToFixed
{
    [Stage] static float Sum(float[] embedding) => embedding.Sum();
}
