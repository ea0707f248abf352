namespace Sluice;

/// <summary>A stage whose policy is <see cref="OnError.Fail"/> threw: the run stops with this error.</summary>
public sealed class StageFailedException(string stage, string row, Exception inner)
    : Exception($"Stage '{stage}' failed on row {row}: {inner.GetType().Name}: {inner.Message}", inner)
{
    /// <summary>The stage that threw.</summary>
    public string Stage { get; } = stage;
}

/// <summary>
/// More rows failed than <see cref="PipelineOptions.MaxFailedRows"/> or <see cref="PipelineOptions.MaxFailedFraction"/>
/// allows, or every row failed and none was written: the run fails (exit code 3).
/// </summary>
public sealed class MaxFailedRowsExceededException : Exception
{
    /// <summary>More rows failed than the count allows: the run was stopped.</summary>
    public MaxFailedRowsExceededException(long failed, long max, string lastError)
        : base($"{failed:N0} rows failed, more than --max-failed-rows {max:N0} allows; the run was stopped. Last error: {lastError}") => Failed = failed;

    /// <summary>More than a share of the rows read failed (<paramref name="stopped"/>: during the run, which was stopped).</summary>
    public MaxFailedRowsExceededException(long failed, long read, double fraction, bool stopped, string lastError)
        : base($"{failed:N0} of {read:N0} rows read failed ({100.0 * failed / Math.Max(1, read):0.##}%), more than --max-failed-rows " +
               $"{100 * fraction:0.##}% allows{(stopped ? "; the run was stopped" : "")}. Last error: {lastError}") => Failed = failed;

    /// <summary>Rows failed and none was written.</summary>
    public MaxFailedRowsExceededException(long failed, string lastError)
        : base($"every row failed: {failed:N0} rows failed and none was written. Last error: {lastError}") => Failed = failed;

    /// <summary>Rows failed when the run stopped.</summary>
    public long Failed { get; }
}

/// <summary>One failed row, kept as a sample for the summary.</summary>
/// <param name="Stage">The stage (or "source").</param>
/// <param name="ErrorType">The exception type's name.</param>
/// <param name="Message">The error message.</param>
/// <param name="Row">The input row as JSON (or raw text for unreadable rows).</param>
public sealed record RowFailure(string Stage, string ErrorType, string Message, string Row);
