using System.Diagnostics;

namespace Sluice;

/// <summary>Live counters of one stage (updated once per morsel, read by progress displays).</summary>
public sealed class StageMetrics
{
    internal long RowsInValue, RowsOutValue, FailedValue, BusyTicksValue, ProfiledTicksValue, CpuNanosValue;

    /// <summary>Native threads the resources of this stage's segment started, and the segment's stages to share them between.</summary>
    internal NativeThreadCpu? Native;
    internal StageMetrics[] SegmentStages = [];

    internal StageMetrics(StageInfo stage, int segment)
    {
        Stage = stage;
        Segment = segment;
    }

    /// <summary>The stage.</summary>
    public StageInfo Stage { get; }
    /// <summary>The stage's name.</summary>
    public string Name => Stage.Name;
    /// <summary>The segment the stage runs in.</summary>
    public int Segment { get; }
    /// <summary>Rows that reached the stage.</summary>
    public long RowsIn => Volatile.Read(ref RowsInValue);
    /// <summary>Rows the stage let through (filters drop, explodes multiply, failures drop).</summary>
    public long RowsOut => Volatile.Read(ref RowsOutValue);
    /// <summary>Rows whose call threw.</summary>
    public long Failed => Volatile.Read(ref FailedValue);
    /// <summary>Time spent in the stage's calls, summed over workers (fused stages share their segment's time by sampled proportions).</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, Volatile.Read(ref BusyTicksValue));
    /// <summary>
    /// CPU time used by the stage's calls: on the runtime's threads while they ran the stage (fused stages share their
    /// segment's CPU time by sampled proportions; an async stage counts the part of each call before it first waits),
    /// plus that of native threads the stage's resources started (ONNX Runtime's intra-op pool), shared between the
    /// stages of a segment in proportion to their own. With <see cref="RunMetrics.OtherCpu"/> it adds up to
    /// <see cref="RunMetrics.ProcessCpu"/>.
    /// </summary>
    public TimeSpan Cpu => TimeSpan.FromTicks(CpuNanoseconds() / 100);

    internal long OwnCpuNanoseconds => Volatile.Read(ref CpuNanosValue);

    internal long CpuNanoseconds()
    {
        long own = OwnCpuNanoseconds;
        if (Native is not { Any: true } native) return own;
        long segment = 0;
        foreach (var s in SegmentStages) segment += s.OwnCpuNanoseconds;
        double share = segment > 0 ? (double)own / segment : 1.0 / Math.Max(1, SegmentStages.Length);
        return own + (long)(native.Nanoseconds() * share);
    }

    /// <summary>Morsels waiting in front of the stage's segment.</summary>
    public int QueueDepth { get; internal set; }
    /// <summary>Payload bytes held that the stage's segment allocated.</summary>
    public long BytesInFlight { get; internal set; }
}

/// <summary>Live counters of a whole run.</summary>
public sealed class RunMetrics
{
    internal long RowsReadValue, RowsWrittenValue, RowsFailedValue;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Func<(int[] depths, long[] bytes)> _probe;
    private readonly MemoryBudget _budget;

    private readonly long _processCpuStart = CpuClock.Process();
    private long _processCpuEnd = -1;

    internal RunMetrics(StageMetrics[] stages, MemoryBudget budget, Func<(int[] depths, long[] bytes)> probe)
    {
        Stages = stages;
        _budget = budget;
        _probe = probe;
        foreach (var group in stages.GroupBy(s => s.Segment))
        {
            var members = group.ToArray();
            foreach (var s in members) s.SegmentStages = members;
        }
    }

    /// <summary>CPU time the process used during the run, every thread together (until the run ended).</summary>
    public TimeSpan ProcessCpu
    {
        get
        {
            long end = Volatile.Read(ref _processCpuEnd);
            return TimeSpan.FromTicks(((end >= 0 ? end : CpuClock.Process()) - _processCpuStart) / 100);
        }
    }

    /// <summary>
    /// <see cref="ProcessCpu"/> not in any stage's <see cref="StageMetrics.Cpu"/>: reading the input and writing the output,
    /// async continuations (network and file I/O), the garbage collector, the JIT, and anything else in the process.
    /// </summary>
    public TimeSpan OtherCpu
    {
        get
        {
            var total = ProcessCpu;
            var stages = TimeSpan.Zero;
            foreach (var s in Stages) stages += s.Cpu;
            return total > stages ? total - stages : TimeSpan.Zero;
        }
    }

    /// <summary>Per-stage counters in pipeline order.</summary>
    public IReadOnlyList<StageMetrics> Stages { get; }
    /// <summary>Rows read from the source.</summary>
    public long RowsRead => Volatile.Read(ref RowsReadValue);
    /// <summary>Rows written to the sink.</summary>
    public long RowsWritten => Volatile.Read(ref RowsWrittenValue);
    /// <summary>Rows that failed (any stage, or unreadable).</summary>
    public long RowsFailed => Volatile.Read(ref RowsFailedValue);
    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>How much of its input the source has read, when it knows its size (files); else null.</summary>
    internal IInputProgress? Input { get; set; }

    /// <summary>
    /// How far the run is (0 to 1), when the source knows its size (file inputs); else null. The share of the input's
    /// bytes read, and, where every input row ends as one output row, a failure or a filtered row (no explode), no
    /// more than the share of the input rows so estimated that have ended: a source reads far ahead of the stages
    /// (a manifest of 1,000 image URLs is read in the first second).
    /// </summary>
    public double? InputFraction
    {
        get
        {
            if (Input is not { TotalBytes: > 0 } p) return null;
            double bytes = Math.Clamp((double)p.BytesDone / p.TotalBytes, 0, 1);
            if (bytes <= 0 || Stages.Any(s => s.Stage.Kind == StageKind.Explode)) return bytes;
            double rows = RowsRead / bytes; // the input's rows, estimated from the bytes they took so far
            long ended = RowsWritten + RowsFailed;
            foreach (var s in Stages)
                if (s.Stage.Kind == StageKind.Filter) ended += Math.Max(0, s.RowsIn - s.RowsOut);
            return rows <= 0 ? bytes : Math.Clamp(Math.Min(bytes, ended / rows), 0, 1);
        }
    }
    /// <summary>Payload bytes held now.</summary>
    public long BytesInFlight => _budget.InFlight;
    /// <summary>Payload buffers the run's pool keeps for reuse, not held by any row now (in flight + idle never exceeds the limit).</summary>
    public long BytesIdle => _budget.Idle;
    /// <summary>The most payload bytes held at once.</summary>
    public long PeakBytesInFlight => _budget.Peak;
    /// <summary>The memory limit (null: unbounded).</summary>
    public long? MemoryLimit => _budget.Limit == long.MaxValue ? null : _budget.Limit;

    /// <summary>Refreshes queue depths and bytes in flight per stage.</summary>
    public void Refresh()
    {
        var (depths, bytes) = _probe();
        foreach (var s in Stages)
        {
            s.QueueDepth = depths[s.Segment];
            s.BytesInFlight = bytes[s.Segment];
        }
    }

    internal void Stop()
    {
        _clock.Stop();
        Volatile.Write(ref _processCpuEnd, CpuClock.Process());
        foreach (var s in Stages) s.Native?.Nanoseconds(); // the last readings, before the threads may end
    }
}

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    /// <summary>Every row was read and handled.</summary>
    Completed,
    /// <summary>The run stopped on an error.</summary>
    Failed,
    /// <summary>The run was cancelled.</summary>
    Cancelled,
}

/// <summary>The outcome of a run: status, counters, failure samples and the error that stopped it.</summary>
public sealed class RunResult
{
    internal RunResult(RunStatus status, RunMetrics metrics, Exception? error, IReadOnlyList<RowFailure> failures, string? deadLetterPath, long deadLettered,
                       IReadOnlyList<RowFailure>? allFailures = null)
    {
        Status = status;
        Metrics = metrics;
        Error = error;
        FailureSamples = failures;
        Failures = allFailures ?? failures;
        DeadLetterPath = deadLetterPath;
        DeadLettered = deadLettered;
    }

    /// <summary>How the run ended.</summary>
    public RunStatus Status { get; }
    /// <summary>Final counters.</summary>
    public RunMetrics Metrics { get; }
    /// <summary>The error that stopped the run (Failed), else null.</summary>
    public Exception? Error { get; }
    /// <summary>The first failed rows (at most 20).</summary>
    public IReadOnlyList<RowFailure> FailureSamples { get; }
    /// <summary>Every failed row when the run kept them all (the in-memory <c>RunAsync(rows)</c>); otherwise <see cref="FailureSamples"/>.</summary>
    public IReadOnlyList<RowFailure> Failures { get; }
    /// <summary>The dead-letter file, when one was written.</summary>
    public string? DeadLetterPath { get; }
    /// <summary>Rows written to the dead-letter file.</summary>
    public long DeadLettered { get; }
    /// <summary>
    /// A file output of a run that did not complete: the old output is left as it was, and the rows this run wrote
    /// are in this file (<c>out.partial.jsonl</c>); null when the run completed or wrote no row.
    /// </summary>
    public string? PartialOutputPath { get; internal init; }
    /// <summary>As <see cref="PartialOutputPath"/>, for the dead-letter file.</summary>
    public string? PartialDeadLetterPath { get; internal init; }
    /// <summary>Rows read.</summary>
    public long RowsRead => Metrics.RowsRead;
    /// <summary>Rows written.</summary>
    public long RowsWritten => Metrics.RowsWritten;
    /// <summary>Rows failed.</summary>
    public long RowsFailed => Metrics.RowsFailed;
}

/// <summary>Thrown by <c>Pipeline.RunAsync</c> when a run fails; carries the result.</summary>
public sealed class PipelineFailedException(RunResult result)
    : Exception(result.Error?.Message ?? "The pipeline failed.", result.Error)
{
    /// <summary>The failed run's result.</summary>
    public RunResult Result { get; } = result;
}
