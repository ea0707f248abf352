using Sluice;

namespace Sluice.Pipelines.Tests;

public sealed record Item(int Id);
public sealed record Scored(int Id, int Score);

/// <summary>A batch stage behind a slow source: partial batches must not wait for the end.</summary>
[Pipeline(typeof(Item), typeof(Scored))]
public static partial class Batching
{
    [Stage(BatchSize = 100)]
    static void Score(ReadOnlySpan<int> id, Span<int> score)
    {
        for (int i = 0; i < id.Length; i++) score[i] = id[i] * 2;
    }
}

/// <summary>A slow batch stage with one worker (Device.Gpu) that records the size of every batch it gets.</summary>
[Pipeline(typeof(Item), typeof(Scored))]
public static partial class SlowBatches
{
    public static readonly List<int> Sizes = new();
    public static readonly List<long> Times = new();
    public static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    [Stage(BatchSize = 50, Device = Device.Gpu)]
    static void Score(ReadOnlySpan<int> id, Span<int> score)
    {
        lock (Sizes) { Sizes.Add(id.Length); Times.Add(Clock.ElapsedMilliseconds); }
        Thread.Sleep(300);   // the model is busy: rows keep arriving meanwhile
        for (int i = 0; i < id.Length; i++) score[i] = id[i] * 2;
    }
}

/// <summary>A fast batch stage with one worker that records the size of every batch it gets.</summary>
[Pipeline(typeof(Item), typeof(Scored))]
public static partial class FastBatches
{
    public static readonly List<int> Sizes = new();

    [Stage(BatchSize = 4, Device = Device.Gpu)]
    static void Score(ReadOnlySpan<int> id, Span<int> score)
    {
        lock (Sizes) Sizes.Add(id.Length);
        for (int i = 0; i < id.Length; i++) score[i] = id[i] * 2;
    }
}

/// <summary>Counts how many calls of an async stage overlap.</summary>
[Pipeline(typeof(Item), typeof(Scored))]
public static partial class Concurrency
{
    public static int Current, Max;

    [Stage(MaxConcurrency = 5)]
    static async Task<int> Score(int id, CancellationToken ct)
    {
        int now = Interlocked.Increment(ref Current);
        int seen;
        while ((seen = Volatile.Read(ref Max)) < now && Interlocked.CompareExchange(ref Max, now, seen) != seen) { }
        await Task.Delay(2, ct);
        Interlocked.Decrement(ref Current);
        return id;
    }
}

/// <summary>A resource per worker, disposed at the end; the enumerable form of explode.</summary>
[Pipeline(typeof(Item), typeof(Scored))]
public static partial class Resources
{
    public sealed class Counter : IDisposable
    {
        public static int Created, Disposed;
        public Counter() => Interlocked.Increment(ref Created);
        public void Dispose() => Interlocked.Increment(ref Disposed);
    }

    [Resource] static Counter Make(PipelineContext ctx) => new();

    [Explode] static IEnumerable<int> Copy(int id) { yield return id; yield return id + 1000; }

    [Stage] static int Score(int copy, Counter counter) => copy;
}
