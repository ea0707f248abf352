using System.Diagnostics;
using System.Globalization;

namespace Sluice;

/// <summary>
/// A diagnostic: with <c>SLUICE_MEMORY_TRACE=FILE</c> set, a hosted run writes one CSV line every 50 ms with the
/// process's resident memory (from /proc/self/statm where there is one), the managed heap (live bytes, and the
/// bytes the GC had committed at its last collection), the payload bytes in flight, the idle payload buffers the
/// run's pool keeps, and the rows written, so a
/// run's memory can be split into payloads, the managed heap and the rest (native libraries such as ONNX Runtime).
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    /// <summary>The environment variable naming the CSV file.</summary>
    public const string Variable = "SLUICE_MEMORY_TRACE";

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts writing <paramref name="path"/>; <paramref name="payloadBytes"/> and <paramref name="rowsWritten"/> are read at each sample.</summary>
    public MemoryTrace(string path, Func<long> payloadBytes, Func<long> idleBytes, Func<long> rowsWritten) =>
        _loop = Task.Run(() => LoopAsync(path, payloadBytes, idleBytes, rowsWritten));

    /// <summary>Starts a trace of <paramref name="metrics"/>' run when <see cref="Variable"/> is set; null otherwise.</summary>
    public static MemoryTrace? StartFromEnvironment(RunMetrics metrics) =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path
            ? new MemoryTrace(path, () => metrics.BytesInFlight, () => metrics.BytesIdle, () => metrics.RowsWritten)
            : null;

    private async Task LoopAsync(string path, Func<long> payloadBytes, Func<long> idleBytes, Func<long> rowsWritten)
    {
        await using var w = new StreamWriter(path);
        await w.WriteLineAsync("ms,rss_mb,gc_live_mb,gc_committed_mb,payload_mb,pool_idle_mb,rows_written").ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{clock.ElapsedMilliseconds},{ResidentBytes() >> 20},{GC.GetTotalMemory(false) >> 20},{GC.GetGCMemoryInfo().TotalCommittedBytes >> 20},{payloadBytes() >> 20},{idleBytes() >> 20},{rowsWritten()}");
            await w.WriteLineAsync(line).ConfigureAwait(false);
            try { await Task.Delay(50, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    private static long ResidentBytes()
    {
        try { return long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize; }
        catch (Exception) { return Environment.WorkingSet; }
    }

    /// <summary>Stops sampling and waits for the file to be closed.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); }
        catch (IOException) { } // a trace that cannot be written must not fail the run
        catch (UnauthorizedAccessException) { }
    }

    /// <inheritdoc/>
    public void Dispose() => _stop.Cancel(); // the source has no timer; the loop may still read its token
}
