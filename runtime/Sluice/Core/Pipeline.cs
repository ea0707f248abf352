namespace Sluice;

/// <summary>
/// A compiled pipeline from <typeparamref name="TIn"/> rows to <typeparamref name="TOut"/> rows, made by the
/// generated <c>Create(PipelineOptions?)</c>. It can run many times; each run has its own state.
/// </summary>
public sealed class Pipeline<TIn, TOut>
{
    /// <summary>Wraps a generated plan.</summary>
    public Pipeline(PipelinePlan<TIn, TOut> plan, PipelineOptions? options = null)
    {
        Plan = plan;
        Options = (options ?? new PipelineOptions()).Validate();
    }

    // Morsels are pooled per pipeline, so repeated runs reuse them.
    private MorselPool[]? _pools;

    /// <summary>The generated plan (stages, segments).</summary>
    public PipelinePlan<TIn, TOut> Plan { get; }

    /// <summary>The options every run uses.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Starts a run; watch <see cref="PipelineRun.Metrics"/> while it goes, await <see cref="PipelineRun.Completion"/> for the result.</summary>
    public PipelineRun Start(ISource<TIn> source, ISink<TOut> sink, CancellationToken cancellationToken = default) =>
        Start(source, sink, collectFailures: false, cancellationToken);

    private PipelineRun Start(ISource<TIn> source, ISink<TOut> sink, bool collectFailures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        NativeHeap.FixMmapThreshold();
        var executor = new Executor<TIn, TOut>(Plan, Options, _pools ??= Executor<TIn, TOut>.CreatePools(Plan, Options), cancellationToken);
        if (collectFailures) executor.CollectFailures();
        return new PipelineRun(executor.Metrics, Task.Run(() => executor.RunAsync(source, sink), CancellationToken.None), executor.Cancel,
                               source.Description, sink.Description) { Abandon = executor.Abandon };
    }

    /// <summary>Runs to the end. Throws <see cref="PipelineFailedException"/> when the run fails and <see cref="OperationCanceledException"/> when cancelled.</summary>
    public Task<RunResult> RunAsync(ISource<TIn> source, ISink<TOut> sink, CancellationToken cancellationToken = default) =>
        RunAsync(source, sink, collectFailures: false, cancellationToken);

    private async Task<RunResult> RunAsync(ISource<TIn> source, ISink<TOut> sink, bool collectFailures, CancellationToken cancellationToken)
    {
        var result = await Start(source, sink, collectFailures, cancellationToken).Completion.ConfigureAwait(false);
        return result.Status switch
        {
            RunStatus.Failed => throw new PipelineFailedException(result),
            RunStatus.Cancelled => throw new OperationCanceledException("The pipeline run was cancelled.", cancellationToken),
            _ => result,
        };
    }

    /// <summary>
    /// Runs over in-memory rows and returns the output rows, with every row that failed in
    /// <see cref="PipelineRows{T}.Failures"/> (stage, error, message, input row). Throws
    /// <see cref="PipelineFailedException"/> when the run fails: a stage with <c>OnError.Fail</c> threw, more rows
    /// failed than <see cref="PipelineOptions.MaxFailedRows"/> allows, or rows failed and none came out.
    /// </summary>
    public async Task<PipelineRows<TOut>> RunAsync(IEnumerable<TIn> rows, CancellationToken cancellationToken = default)
    {
        var list = new PipelineRows<TOut>();
        list.Result = await RunAsync(Source.From(rows), Sink.To(list), collectFailures: true, cancellationToken).ConfigureAwait(false);
        return list;
    }
}

/// <summary>The output rows of an in-memory run, with the rows that failed.</summary>
public sealed class PipelineRows<T> : List<T>
{
    /// <summary>The run's result (counters, failure samples, dead-letter file).</summary>
    public RunResult Result { get; internal set; } = null!;

    /// <summary>Every input row that failed, in the order they failed: stage, error type, message, the input row as JSON.</summary>
    public IReadOnlyList<RowFailure> Failures => Result.Failures;
}

/// <summary>A run in progress.</summary>
public sealed class PipelineRun
{
    private readonly Action _cancel;

    internal PipelineRun(RunMetrics metrics, Task<RunResult> completion, Action cancel, string source, string sink)
    {
        Metrics = metrics;
        Completion = completion;
        _cancel = cancel;
        SourceDescription = source;
        SinkDescription = sink;
    }

    /// <summary>Live counters.</summary>
    public RunMetrics Metrics { get; }
    /// <summary>Completes with the result (never faults: errors are in <see cref="RunResult.Error"/>).</summary>
    public Task<RunResult> Completion { get; }
    /// <summary>Where rows come from.</summary>
    public string SourceDescription { get; }
    /// <summary>Where rows go.</summary>
    public string SinkDescription { get; }
    /// <summary>Stops the run cleanly: rows already written stay valid.</summary>
    public void Cancel() => _cancel();

    /// <summary>
    /// Stops the run now (the host's second Ctrl-C): cancels it, stops waiting for the rows in flight, and closes the
    /// output and dead letters at a whole row, so the result, the report and the files agree.
    /// </summary>
    internal Action Abandon { get; init; } = () => { };
}
