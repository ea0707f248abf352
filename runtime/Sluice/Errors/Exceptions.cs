namespace Sluice;

/// <summary>A stage whose policy is <see cref="OnError.Fail"/> threw: the run stops with this error.</summary>
public sealed class StageFailedException(string stage, string row, Exception inner)
    : Exception($"Stage '{stage}' failed on row {row}: {inner.GetType().Name}: {inner.Message}", inner)
{
    /// <summary>The stage that threw.</summary>
    public string Stage { get; } = stage;
}

/// <summary>More rows failed than <see cref="PipelineOptions.MaxFailedRows"/> allows: the run stops.</summary>
public sealed class MaxFailedRowsExceededException(long failed, long max, string lastError)
    : Exception($"{failed:N0} rows failed, more than --max-failed-rows {max:N0} allows; the run was stopped. Last error: {lastError}")
{
    /// <summary>Rows failed when the run stopped.</summary>
    public long Failed { get; } = failed;
}

/// <summary>One failed row, kept as a sample for the summary.</summary>
/// <param name="Stage">The stage (or "source").</param>
/// <param name="ErrorType">The exception type's name.</param>
/// <param name="Message">The error message.</param>
/// <param name="Row">The input row as JSON (or raw text for unreadable rows).</param>
public sealed record RowFailure(string Stage, string ErrorType, string Message, string Row);
