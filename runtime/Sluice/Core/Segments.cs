using System.Diagnostics;

namespace Sluice;

/// <summary>
/// A run of stages executed as one operator between two segment boundaries. The generator emits
/// one subclass per segment; the runtime schedules it (workers, channels, batching).
/// </summary>
public abstract class Segment
{
    /// <summary>Creates a segment over the stages with the given plan indices (in order).</summary>
    protected Segment(params int[] stages)
    {
        Stages = stages;
    }

    /// <summary>Indices into <see cref="PipelinePlan{TIn,TOut}.Stages"/> of this segment's stages, in order.</summary>
    public int[] Stages { get; }

    /// <summary>Creates this segment's resources for one worker (null when it uses none). The runtime disposes the result at the end.</summary>
    public virtual object? CreateResources(PipelineContext context) => null;
}

/// <summary>Type-level flags for the generated loops: <c>Run&lt;Profiling.On&gt;</c> records per-stage time, <c>Run&lt;Profiling.Off&gt;</c> compiles the timing away.</summary>
public static class Profiling
{
    /// <summary>Per-stage timing compiled in.</summary>
    public struct On { }
    /// <summary>Per-stage timing compiled away.</summary>
    public struct Off { }
}

/// <summary>
/// Fused synchronous per-row stages (map, filter, explode): one loop over the input morsel with
/// direct static calls, writing surviving rows into <see cref="MorselWriter.Current"/>.
/// </summary>
public abstract class CpuSegment : Segment
{
    /// <inheritdoc/>
    protected CpuSegment(params int[] stages) : base(stages) { }

    /// <summary>
    /// Processes every row of <paramref name="input"/>. Implementations must, when
    /// <typeparamref name="TProfile"/> is <see cref="Profiling.On"/>, add the ticks spent in the stage at
    /// local position p to <c>worker.StageTicks[p]</c>, and must add the rows a filter or explode at
    /// local position p lets out to <c>worker.RowsOut[p]</c>.
    /// </summary>
    public abstract void Run<TProfile>(Morsel input, MorselWriter output, SegmentWorker worker) where TProfile : struct;
}

/// <summary>One async per-row stage: up to <c>MaxConcurrency</c> calls in flight across morsels.</summary>
/// <typeparam name="TValue">The column the stage computes.</typeparam>
public abstract class AsyncSegment<TValue> : Segment, IAsyncSegmentRunner
{
    Task IAsyncSegmentRunner.RunWith(IAsyncRunner runner, CancellationToken cancellationToken) => runner.RunAsync(this, cancellationToken);

    /// <inheritdoc/>
    protected AsyncSegment(int stage) : base(stage) { }

    /// <summary>Calls the stage for one row.</summary>
    public abstract ValueTask<TValue> InvokeAsync(Morsel input, int row, SegmentWorker worker, CancellationToken cancellationToken);

    /// <summary>
    /// Writes row <paramref name="row"/> of <paramref name="input"/> with its computed value to row
    /// <paramref name="outputRow"/> of <paramref name="output"/>, and disposes the row's values whose last reader this stage is.
    /// </summary>
    public abstract void Emit(Morsel input, int row, TValue value, Morsel output, int outputRow);
}

/// <summary>One batch stage: rows are gathered into batches of <c>BatchSize</c> and passed as spans.</summary>
public abstract class BatchSegment : Segment
{
    /// <inheritdoc/>
    protected BatchSegment(int stage) : base(stage) { }

    /// <summary>Moves row <paramref name="row"/> of <paramref name="input"/> to row <paramref name="batchRow"/> of a forming batch of the same type.</summary>
    public abstract void Gather(Morsel input, int row, Morsel batch, int batchRow);

    /// <summary>Whether the stage's first column input is a <see cref="Tensor"/> (its batch input: the runtime then lays batches out along batch buffers).</summary>
    public virtual bool TakesTensors => false;

    /// <summary>Row <paramref name="row"/>'s value of that tensor column (null when the stage takes none).</summary>
    public virtual Tensor? SlotTensor(Morsel input, int row) => null;

    /// <summary>
    /// Calls the stage on all <c>batch.Count</c> rows, writing the batch's rows with their new columns
    /// to rows 0..Count of <paramref name="output"/> (which has room), and disposing values whose last reader this stage is.
    /// </summary>
    public abstract void Invoke(Morsel batch, Morsel output, SegmentWorker worker);

    /// <summary>
    /// Used when <see cref="Invoke"/> threw and the stage's policy is <see cref="OnError.Null"/>: writes
    /// the rows with default values in the new columns.
    /// </summary>
    public abstract void EmitDefaults(Morsel batch, Morsel output);
}

/// <summary>
/// The state of one worker of one segment: its resources, its row-failure handling and its
/// per-morsel counters. Generated code reads <see cref="Resources"/> and calls <see cref="RowFailed"/>.
/// </summary>
public sealed class SegmentWorker
{
    private readonly RunState _run;
    private readonly int[] _stages;

    /// <summary>Native threads this worker's resources started, when any.</summary>
    internal NativeThreadCpu? Native;

    internal SegmentWorker(RunState run, int[] stages, object? resources, PipelineContext context)
    {
        _run = run;
        _stages = stages;
        Resources = resources;
        Context = context;
        StageTicks = new long[stages.Length];
        RowsOut = new long[stages.Length];
        LoopOut = new long[stages.Length];
        Dropped = new long[stages.Length];
    }

    // Where the generated tight loop is, in memory rather than in locals: the loop runs in a method of
    // its own without an exception handler (so its values stay in registers), stores these as it goes,
    // and the caller's handler reads them to report the failing row and stage and to resume after it.

    /// <summary>The row the tight loop is on (generated code).</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public int LoopRow;

    /// <summary>The local position of the stage the tight loop is in; -1 while it writes the row (generated code).</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public int LoopStage;

    /// <summary>The output rows the tight loop has written (generated code).</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public int LoopWritten;

    /// <summary>Rows let out per filter (local position) by the current call of the tight loop (generated code).</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public long[] LoopOut { get; }

    /// <summary>The resources this worker created (the generated segment's resource holder).</summary>
    public object? Resources { get; }

    /// <summary>The run's context for this worker.</summary>
    public PipelineContext Context { get; }

    /// <summary>Ticks spent per stage (local position) in profiled morsels.</summary>
    public long[] StageTicks { get; }

    /// <summary>Rows let out per filter/explode stage (local position) in the current morsel.</summary>
    public long[] RowsOut { get; }

    internal long[] Dropped { get; }

    /// <summary>
    /// Handles a row whose stage at local position <paramref name="position"/> threw, following the
    /// stage's <see cref="OnError"/>: throws for <see cref="OnError.Fail"/> (ending the run), otherwise
    /// counts the failure and dead-letters the row where asked. The caller drops the row afterwards,
    /// except for <see cref="OnError.Null"/>, where the row goes on with a default value.
    /// </summary>
    public void RowFailed(int position, Exception error, Morsel input, int row)
    {
        var stage = _stages[position];
        if (_run.Plan.Stages[stage].OnError != OnError.Null)
            Dropped[position]++;
        _run.RowFailed(stage, error, input.GetOrigin(row));
    }

    internal void ResetCounters()
    {
        Array.Clear(RowsOut);
        Array.Clear(Dropped);
    }

}

/// <summary>
/// Where a CPU segment writes its output rows. <see cref="Current"/> is the morsel being filled;
/// when it is full, <see cref="Flush"/> sends it downstream and returns a fresh one.
/// </summary>
public sealed class MorselWriter
{
    private readonly MorselPool _pool;
    private readonly Action<Morsel> _send;
    private long _sequence;
    private int _part;

    internal MorselWriter(MorselPool pool, Action<Morsel> send)
    {
        _pool = pool;
        _send = send;
        Current = pool.Rent();
    }

    /// <summary>The morsel being filled.</summary>
    public Morsel Current { get; private set; }

    /// <summary>Sends the full current morsel downstream and returns an empty one.</summary>
    public Morsel Flush()
    {
        var m = Current;
        m.Sequence = _sequence;
        m.Part = _part++;
        m.LastPart = false;
        _send(m);
        Current = _pool.Rent();
        return Current;
    }

    /// <summary>Sends the rows gathered so far, if any, as a part of their own (used before the worker blocks on the memory budget).</summary>
    internal void FlushPending()
    {
        if (Current.Count > 0) Flush();
    }

    internal void Begin(long sequence)
    {
        _sequence = sequence;
        _part = 0;
    }

    // The last part of an input morsel is always sent, even when empty, so ordered channels can advance.
    internal void End()
    {
        var m = Current;
        m.Sequence = _sequence;
        m.Part = _part;
        m.LastPart = true;
        _send(m);
        Current = _pool.Rent();
    }
}
