using Sluice;

namespace Sluice.Pipelines.Tests;

public sealed record Doc(string Text, int Id);
public sealed record WordRow(int Id, string Word, int Length, long Score, int Doubled);

/// <summary>Every stage kind in one pipeline: map, filter, explode, async, batch, a resource.</summary>
[Pipeline(typeof(Doc), typeof(WordRow))]
public static partial class WordPipeline
{
    public sealed class Multiplier { public int Factor { get; } = 10; }

    [Resource] static Multiplier Scale(PipelineContext ctx) => new();

    [Stage] static string Clean(string text) => text.Trim().ToLowerInvariant();

    [Filter] static bool NotEmpty(string clean) => clean.Length > 0;

    [Explode] static void Word(string clean, RowEmitter<string> emit)
    {
        foreach (var w in clean.Split(' ')) emit.Emit(w);
    }

    [Stage] static int Length(string word) => word == "boom" ? throw new InvalidOperationException("boom word") : word.Length;

    [Stage(MaxConcurrency = 4)]
    static async ValueTask<long> Score(int length, Multiplier scale, CancellationToken ct)
    {
        await Task.Yield();
        return length * (long)scale.Factor;
    }

    [Stage(BatchSize = 8)]
    static void Batch(ReadOnlySpan<int> length, Span<int> doubled)
    {
        for (int i = 0; i < length.Length; i++) doubled[i] = length[i] * 2;
    }
}

public sealed record Numbers(int A, int B);
public readonly record struct Sum(int A, int Total, double Half);

/// <summary>Cheap value-type stages, as in the fusion benchmark.</summary>
[Pipeline(typeof(Numbers), typeof(Sum))]
public static partial class Arithmetic
{
    [Stage] static int Total(int a, int b) => a + b;
    [Filter] static bool Even(int total) => (total & 1) == 0;
    [Stage] static double Half(int total) => total / 2.0;
    [Stage] static int Unused(int a) => a * 3;   // nobody reads it: not run, warned (SLU1001)
}

public sealed record Ratio(int A, int Inverse);

/// <summary>The tight loop form (no explode, no payloads) with a stage that throws on some rows.</summary>
[Pipeline(typeof(Numbers), typeof(Ratio))]
public static partial class Fragile
{
    [Stage] static int Inverse(int a) => 100 / a;          // a == 0 throws
    [Filter] static bool Small(int inverse) => inverse < 60;
}
