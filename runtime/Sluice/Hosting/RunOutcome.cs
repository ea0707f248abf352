namespace Sluice;

/// <summary>Everything the summary and the report say about a finished run.</summary>
/// <param name="Pipeline">The pipeline's name.</param>
/// <param name="Settings">What the command line asked for.</param>
/// <param name="Result">The run's result.</param>
/// <param name="ExitCode">The exit code the host returns.</param>
/// <param name="PeakWorkingSet">The process's peak working set in bytes.</param>
internal sealed record RunOutcome(string Pipeline, HostSettings Settings, RunResult Result, int ExitCode, long PeakWorkingSet)
{
    /// <summary>How many failure samples the summary lists.</summary>
    public const int SummarySamples = 5;

    /// <summary>The error that stopped the run, unwrapped (null unless it failed).</summary>
    public Exception? Error => Result.Error is { } e ? PipelineHost.Unwrap(e) : null;

    /// <summary>Input rows per second over the whole run.</summary>
    public double Throughput => Format.PerSecond(Result.RowsRead, Result.Metrics.Elapsed);
}
