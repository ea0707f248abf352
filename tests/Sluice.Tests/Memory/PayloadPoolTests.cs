using Sluice;
using Xunit;

namespace Sluice.Tests.Memory;

/// <summary>Tests that read or empty the process-wide warm set run alone.</summary>
[CollectionDefinition(nameof(WarmBuffers), DisableParallelization = true)]
public sealed class WarmBuffers { }

/// <summary>The budget's pool: payloads charged at their array's real size, idle arrays reused and counted.</summary>
public class PayloadPoolTests
{
    private const int ImageTensor = 3 * 224 * 224;

    [Theory]
    [InlineData(0, 16)]
    [InlineData(1, 16)]
    [InlineData(5000, 8192)]
    [InlineData(65536, 65536)]
    [InlineData(65537, 65536 + 16384)]
    [InlineData(4 * ImageTensor, 655360)]
    [InlineData(1_000_000, 1_048_576)]
    [InlineData(1_048_577, 1_048_576 + 262_144)]
    public void Size_classes_are_powers_of_two_up_to_64_KiB_then_quarter_steps(long bytes, long expected)
    {
        long got = MemoryBudget.SizeClass(bytes);
        Assert.Equal(expected, got);
        Assert.True(got >= bytes);
        if (bytes > MemoryBudget.SmallPayloadBytes)
            Assert.True(got * 4 <= bytes * 5, $"{got} is more than 25% over {bytes}");
    }

    [Fact]
    public Task A_payload_is_charged_at_its_array_size_and_the_array_is_reused_after_dispose() => Task.Run(() =>
    {
        var budget = new MemoryBudget(16L << 20);
        MemoryBudget.Enter(budget, 1);
        var first = Tensor.Rent(ImageTensor);
        Assert.Equal(655360, budget.InFlight);
        first.Span[0] = 42f;
        first.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.Equal(655360, budget.Idle);

        var second = Tensor.Rent(ImageTensor);
        Assert.Equal(0, budget.Idle);
        Assert.Equal(42f, second.Span[0]); // the same (uncleared) buffer came back
        second.Dispose();
    });

    [Fact]
    public Task Idle_arrays_and_payloads_in_flight_together_stay_under_the_limit() => Task.Run(() =>
    {
        const long limit = 4L << 20;
        var budget = new MemoryBudget(limit);
        MemoryBudget.Enter(budget, 1);
        var rng = new Random(7);
        var held = new List<IDisposable>();
        for (int i = 0; i < 2000; i++)
        {
            // Mixed sizes and types, so idle arrays of other classes must be let go of to make new ones.
            int n = rng.Next(70_000, 600_000);
            held.Add(rng.Next(2) == 0 ? Blob.Rent(n) : Tensor.Rent(n / 4));
            Assert.InRange(budget.InFlight + budget.Idle, 1, limit);
            if (held.Count > 3 || rng.Next(3) == 0)
            {
                int k = rng.Next(held.Count);
                held[k].Dispose();
                held.RemoveAt(k);
                Assert.InRange(budget.InFlight + budget.Idle, 0, limit);
            }
        }
        foreach (var h in held) h.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.InRange(budget.Idle, 0, limit);
    });

    [Fact]
    public Task An_unbounded_budget_keeps_at_most_its_idle_cap() => Task.Run(() =>
    {
        var budget = new MemoryBudget(null);
        MemoryBudget.Enter(budget, 1);
        var blobs = Enumerable.Range(0, 40).Select(_ => Blob.Rent(10 << 20)).ToList(); // 400 MiB in flight
        foreach (var b in blobs) b.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.InRange(budget.Idle, 10 << 20, MemoryBudget.UnboundedIdleCap);
    });

    [Fact]
    public Task Small_payloads_come_from_the_shared_pool_and_are_not_kept_idle() => Task.Run(() =>
    {
        var budget = new MemoryBudget(1L << 20);
        MemoryBudget.Enter(budget, 1);
        var blob = Blob.Rent(1000);
        Assert.Equal(1024, budget.InFlight);
        blob.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.Equal(0, budget.Idle);
    });
}

/// <summary>Large payloads live outside the managed heap and their pages go back to the system when freed.</summary>
[Collection(nameof(WarmBuffers))]
public class NativePayloadTests
{
    [Fact]
    public Task A_large_blob_is_native_memory_that_reads_writes_and_streams_like_an_array() => Task.Run(async () =>
    {
        var budget = new MemoryBudget(64L << 20);
        MemoryBudget.Enter(budget, 1);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using var blob = Blob.Rent(8 << 20);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 1 << 20, "an 8 MiB blob should not be on the managed heap");
        var data = new byte[blob.Length];
        new Random(3).NextBytes(data);
        data.CopyTo(blob.Span);
        using var stream = new MemoryStream();
        await stream.WriteAsync(blob.Memory);          // Memory<byte> over native memory works with streams
        Assert.Equal(data, stream.ToArray());
    });

    private static long Rss() =>
        long.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>A budget with a 1-byte limit takes the warm set and frees all of it.</summary>
    private static void DrainWarm()
    {
        var drain = new MemoryBudget(1);
        drain.AdoptWarm();
        drain.Close();
        Assert.Equal(0, MemoryBudget.Warm);
    }

    [Fact]
    public Task Freed_buffers_leave_the_process_and_a_finished_runs_idle_ones_warm_the_next() => Task.Run(() =>
    {
        if (!OperatingSystem.IsLinux()) return;
        DrainWarm();
        var run1 = new MemoryBudget(1L << 30);
        MemoryBudget.Enter(run1, 1);
        long baseline = Rss();
        var blobs = Enumerable.Range(0, 16).Select(_ => Blob.Rent(16 << 20)).ToList();  // 256 MiB
        foreach (var b in blobs) b.Span.Fill(1);                                          // touch every page
        Assert.True(Rss() - baseline > 200L << 20, "the pages were touched");
        foreach (var b in blobs) b.Dispose();
        Assert.Equal(256L << 20, run1.Idle);                                              // kept for reuse, counted
        run1.Close();
        Assert.Equal(0, run1.Idle);
        Assert.Equal(256L << 20, MemoryBudget.Warm);                                     // kept for the next run

        var run2 = new MemoryBudget(64L << 20);
        run2.AdoptWarm();                                                                 // takes what its limit allows
        Assert.Equal(64L << 20, run2.Idle);
        Assert.Equal(0, MemoryBudget.Warm);
        Assert.True(Rss() - baseline < 128L << 20, $"RSS is still {(Rss() - baseline) >> 20} MiB over the baseline after 192 MiB were freed");
        MemoryBudget.Enter(run2, 1);
        using (var reused = Blob.Rent(16 << 20)) Assert.Equal(1, reused.Span[0]);       // a warm buffer, not a new mapping
        run2.Close();
        DrainWarm();
        Assert.True(Rss() - baseline < 32L << 20, $"RSS is still {(Rss() - baseline) >> 20} MiB over the baseline after every buffer was freed");
    });
}
