using System.Text.Json;

namespace Sluice;

/// <summary>What every worker of one run shares: the plan's stages, counters, budget, failures.</summary>
internal sealed class RunState
{
    private readonly object _samplesLock = new();
    private readonly List<RowFailure> _samples = new();
    private readonly Action<Utf8JsonWriter, object?> _writeOrigin;
    private string _lastError = "";

    public RunState(IPlanInfo plan, PipelineOptions options, MemoryBudget budget, StageMetrics[] stages,
                    DeadLetterWriter deadLetter, Action<Utf8JsonWriter, object?> writeOrigin, CancellationTokenSource stop)
    {
        Plan = plan;
        Options = options;
        Budget = budget;
        Stages = stages;
        DeadLetter = deadLetter;
        _writeOrigin = writeOrigin;
        Stop = stop;
    }

    public IPlanInfo Plan { get; }
    public PipelineOptions Options { get; }
    public MemoryBudget Budget { get; }
    public StageMetrics[] Stages { get; }
    public DeadLetterWriter DeadLetter { get; }
    public CancellationTokenSource Stop { get; }
    public RunMetrics Metrics { get; set; } = null!;
    public IReadOnlyList<RowFailure> Samples { get { lock (_samplesLock) return _samples.ToArray(); } }

    /// <summary>Every failed row, kept when the caller asked for them (the in-memory run); null otherwise.</summary>
    public List<RowFailure>? AllFailures { get; set; }

    /// <summary>A stage threw on a row: apply its policy (see <see cref="SegmentWorker.RowFailed"/>).</summary>
    public void RowFailed(int stage, Exception error, object? origin)
    {
        if (error is OperationCanceledException && Stop.IsCancellationRequested) throw error;
        if (error is StageFailedException or MaxFailedRowsExceededException) throw error;
        var info = Plan.Stages[stage];
        Interlocked.Increment(ref Stages[stage].FailedValue);
        if (info.OnError == OnError.Fail)
            throw new StageFailedException(info.Name, DescribeOrigin(origin), error);
        string message = error.Message;
        if (info.OnError == OnError.DeadLetter)
            DeadLetter.Write(info.Name, error.GetType().Name, message, w => _writeOrigin(w, origin));
        Count(info.Name, error.GetType().Name, message, origin is null ? "null" : DescribeOrigin(origin));
    }

    /// <summary>The source could not read a row: it is dead-lettered with its raw text.</summary>
    public void SourceRowFailed(string location, string message, string? raw)
    {
        string full = $"{location}: {message}";
        DeadLetter.Write("source", nameof(RowFormatException), full, w =>
        {
            if (raw is null) w.WriteNullValue(); else w.WriteStringValue(raw);
        });
        Count("source", nameof(RowFormatException), full, raw ?? "");
    }

    /// <summary>A row the sink could not write (a fixed-size list of another length): dead-lettered as the sink's failure.</summary>
    public void SinkRowFailed(string location, string message, string? raw)
    {
        string full = $"{location}: {message}";
        DeadLetter.Write("sink", nameof(RowFormatException), full, w =>
        {
            if (raw is null) w.WriteNullValue(); else w.WriteRawValue(raw);
        });
        Count("sink", nameof(RowFormatException), full, raw ?? "");
    }

    private void Count(string stage, string type, string message, string row)
    {
        long failed = Interlocked.Increment(ref Metrics.RowsFailedValue);
        lock (_samplesLock)
        {
            var failure = new RowFailure(stage, type, message, row);
            if (_samples.Count < 20) _samples.Add(failure);
            AllFailures?.Add(failure);
            _lastError = $"{stage}: {type}: {message}";
        }
        if (Options.MaxFailedRows is long max && failed > max)
            throw new MaxFailedRowsExceededException(failed, max, _lastError);
        if (Options.MaxFailedFraction is double fraction && Metrics.RowsRead is var read
            && read >= PipelineOptions.FailedFractionMinRows && failed > fraction * read)
            throw new MaxFailedRowsExceededException(failed, read, fraction, stopped: true, _lastError);
    }

    /// <summary>
    /// The verdict on the failed rows of a run that got to its end: more than <see cref="PipelineOptions.MaxFailedFraction"/>
    /// of all rows read, or rows failed and none was written (a run that produced nothing is no success). Null: none.
    /// </summary>
    public MaxFailedRowsExceededException? FinalVerdict()
    {
        long failed = Metrics.RowsFailed, read = Metrics.RowsRead;
        string last;
        lock (_samplesLock) last = _lastError;
        if (Options.MaxFailedFraction is double fraction && failed > fraction * read)
            return new MaxFailedRowsExceededException(failed, read, fraction, stopped: false, last);
        if (failed > 0 && Metrics.RowsWritten == 0)
            return new MaxFailedRowsExceededException(failed, last);
        return null;
    }

    public string DescribeOrigin(object? origin)
    {
        try
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) _writeOrigin(w, origin);
            var s = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            return s.Length > 500 ? s[..500] + "…" : s;
        }
        catch (Exception)
        {
            return origin?.ToString() ?? "null";
        }
    }
}

/// <summary>The non-generic view of a plan that workers need.</summary>
internal interface IPlanInfo
{
    string Name { get; }
    StageInfo[] Stages { get; }
    Segment[] Segments { get; }
}
