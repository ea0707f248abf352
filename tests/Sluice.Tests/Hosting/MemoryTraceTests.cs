using Xunit;

namespace Sluice.Tests.Hosting;

public class MemoryTraceTests
{
    [Fact]
    public async Task A_trace_writes_resident_memory_managed_heap_and_the_run_counters_until_stopped()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sluice-memtrace-{Guid.NewGuid():N}.csv");
        try
        {
            long rows = 0;
            var held = new byte[32 << 20]; // 32 MiB the process really touches
            Array.Fill(held, (byte)1);
            using (var trace = new MemoryTrace(path, () => 5L << 20, () => 3L << 20, () => Interlocked.Read(ref rows)))
            {
                for (int i = 0; i < 6; i++)
                {
                    Interlocked.Increment(ref rows);
                    await Task.Delay(60);
                }
                await trace.StopAsync();
            }
            GC.KeepAlive(held);

            var lines = File.ReadAllLines(path);
            Assert.Equal("ms,rss_mb,gc_live_mb,gc_committed_mb,payload_mb,pool_idle_mb,rows_written", lines[0]);
            Assert.True(lines.Length >= 3, $"only {lines.Length - 1} samples");
            var last = lines[^1].Split(',').Select(long.Parse).ToArray();
            Assert.True(last[1] >= 32, $"resident {last[1]} MB with 32 MB held");
            Assert.True(last[2] >= 32, $"managed heap {last[2]} MB with a 32 MB array live");
            Assert.Equal(5, last[4]);
            Assert.Equal(3, last[5]);
            Assert.InRange(last[6], 1, 6);
            var times = lines.Skip(1).Select(l => long.Parse(l.Split(',')[0])).ToArray();
            Assert.Equal(times.Order(), times);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
