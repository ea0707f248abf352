using System.Runtime.InteropServices;
using Sluice;
using Xunit;

namespace Sluice.Pipelines.Tests;

public sealed record Work(int Id);
public sealed record WorkDone(int Id, long Spun, long Pooled);

/// <summary>A thread of its own, unnamed like a native library's pool thread, that does the batch stage's work while the stage waits.</summary>
public sealed class SpinPool : IDisposable
{
    private readonly BlockingQueueLite _jobs = new();
    private readonly Thread _thread;

    public SpinPool()
    {
        _thread = new Thread(() => { while (_jobs.Take() is { } job) job(); }) { IsBackground = true };
        _thread.Start();
    }

    public void Run(Action job)
    {
        using var done = new ManualResetEventSlim();
        _jobs.Add(() => { job(); done.Set(); });
        done.Wait();
    }

    public void Dispose()
    {
        _jobs.Add(null);
        _thread.Join();
    }

    private sealed class BlockingQueueLite
    {
        private readonly Queue<Action?> _q = new();
        public void Add(Action? a) { lock (_q) { _q.Enqueue(a); Monitor.Pulse(_q); } }
        public Action? Take() { lock (_q) { while (_q.Count == 0) Monitor.Wait(_q); return _q.Dequeue(); } }
    }
}

/// <summary>Stages that burn known amounts of CPU: on the worker thread, and on a pool thread their resource started.</summary>
[Pipeline(typeof(Work), typeof(WorkDone))]
public static partial class CpuAccounting
{
    public static long SpunNanos, PooledNanos;

    [Resource] static SpinPool Pool(PipelineContext ctx) => new();

    [Stage] static long Spun(int id) { long ns = ThreadCpu.Burn(2_000_000); Interlocked.Add(ref SpunNanos, ns); return ns; }

    [Stage(BatchSize = 5)]
    static void Pooled(ReadOnlySpan<int> id, Span<long> pooled, SpinPool pool)
    {
        long ns = 0;
        int n = id.Length;
        pool.Run(() => ns = ThreadCpu.Burn(1_000_000L * n));
        Interlocked.Add(ref PooledNanos, ns);
        pooled.Fill(ns);
    }
}

/// <summary>The calling thread's CPU clock, read here independently of Sluice.</summary>
public static class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)] private struct TimeSpec { public nint Sec, Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec t);

    public static long Now() { ClockGetTime(3, out var t); return t.Sec * 1_000_000_000L + t.Nsec; }

    /// <summary>Spins until the thread has used <paramref name="nanos"/> of CPU; returns what it used.</summary>
    public static long Burn(long nanos)
    {
        long start = Now(), now = start;
        double x = 1;
        while ((now = Now()) - start < nanos) for (int i = 0; i < 1000; i++) x = Math.Sqrt(x + i);
        GC.KeepAlive(x);
        return now - start;
    }
}

public class CpuAccountingTests
{
    [Fact]
    public async Task Stage_cpu_times_are_the_cpu_the_stages_used_including_their_pools_threads_and_add_up_to_the_process()
    {
        CpuAccounting.SpunNanos = CpuAccounting.PooledNanos = 0;
        var rows = await CpuAccounting.Create(new PipelineOptions { Workers = 2 }).RunAsync(Enumerable.Range(0, 100).Select(i => new Work(i)));
        Assert.Equal(100, rows.Count);
        var m = rows.Result.Metrics;
        var spun = m.Stages.Single(s => s.Name == "Spun");
        var pooled = m.Stages.Single(s => s.Name == "Pooled");

        // The spinning stage: its CPU as the stage measured it, within the clock reads around each morsel.
        double spunTruth = CpuAccounting.SpunNanos / 1e9, pooledTruth = CpuAccounting.PooledNanos / 1e9;
        Assert.InRange(spunTruth, 0.19, 0.4);
        Assert.InRange(spun.Cpu.TotalSeconds, spunTruth * 0.95, spunTruth * 1.15 + 0.01);
        // The batch stage waits while its resource's thread works: wall-clock busy, and the pool thread's CPU
        // counted as the stage's (before, 0: the CPU was on a thread no stage knew).
        Assert.InRange(pooledTruth, 0.095, 0.3);
        Assert.InRange(pooled.Cpu.TotalSeconds, pooledTruth * 0.95, pooledTruth * 1.15 + 0.01);
        // They add up: the stages' CPU and the rest are the process's CPU during the run (other tests run in
        // this process too, so the rest is only bounded below).
        var sum = m.Stages.Aggregate(TimeSpan.Zero, (t, s) => t + s.Cpu) + m.OtherCpu;
        Assert.InRange((sum - m.ProcessCpu).Duration().TotalMilliseconds, 0, 5);
        Assert.True(m.ProcessCpu.TotalSeconds >= spunTruth + pooledTruth, $"process {m.ProcessCpu}, stages {spunTruth + pooledTruth} s");
    }
}
