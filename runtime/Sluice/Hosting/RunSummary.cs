using System.Text;

namespace Sluice;

/// <summary>The text the host prints to standard error when a run ends.</summary>
internal static class RunSummary
{
    public static void Write(TextWriter w, RunOutcome o)
    {
        var r = o.Result;
        var m = r.Metrics;
        var output = o.Settings.Output;
        string counts = $"read {Format.Count(r.RowsRead)} rows, wrote {Format.Count(r.RowsWritten)}, failed {Format.Count(r.RowsFailed)}";
        w.WriteLine();
        w.WriteLine(r.Status switch
        {
            RunStatus.Completed => $"Completed in {Format.Duration(m.Elapsed)}: {counts}.",
            RunStatus.Cancelled => $"Cancelled after {Format.Duration(m.Elapsed)}: {counts}.",
            _ when o.ExitCode == HostExitCode.TooManyFailedRows && r.RowsWritten == 0 && o.Error?.Message.StartsWith("every row failed", StringComparison.Ordinal) == true =>
                $"Failed after {Format.Duration(m.Elapsed)} (every row failed, none was written): {counts}.",
            _ when o.ExitCode == HostExitCode.TooManyFailedRows =>
                $"Stopped after {Format.Duration(m.Elapsed)} (more rows failed than --max-failed-rows allows): {counts}.",
            _ => $"Failed after {Format.Duration(m.Elapsed)}: {counts}.",
        });

        Line(w, "throughput", $"{Format.Rate(o.Throughput)} rows/s");
        Line(w, "payload", m.MemoryLimit is long limit
            ? $"peak {MemorySize.Format(m.PeakBytesInFlight)} in flight, limit {MemorySize.Format(limit)}"
            : $"peak {MemorySize.Format(m.PeakBytesInFlight)} in flight, no limit");
        Line(w, "working set", $"peak {MemorySize.Format(o.PeakWorkingSet)}");
        if (r.Status == RunStatus.Completed)
            Line(w, "output", $"{output} ({Format.Count(r.RowsWritten)} rows)");
        else if (r.PartialOutputPath is { } partial)
            Line(w, "output", $"{output} left as it was; the {Format.Count(r.RowsWritten)} rows written, each complete, are in {partial}");
        else if (r.RowsWritten == 0)
            Line(w, "output", $"{output} left as it was (no row written)");
        else
            Line(w, "output", $"{output} ({Format.Count(r.RowsWritten)} rows written before the run stopped, each complete)");
        if (r.DeadLetterPath is not null && r.Status != RunStatus.Completed)
            Line(w, "dead letter", r.PartialDeadLetterPath is { } partialDead
                ? $"{r.DeadLetterPath} left as it was; the {Format.Count(r.DeadLettered)} rows are in {partialDead}"
                : $"{r.DeadLetterPath} left as it was (no row)");
        else if (r.DeadLetterPath is not null)
            Line(w, "dead letter", $"{r.DeadLetterPath} ({Format.Count(r.DeadLettered)} rows)");
        else if (r.RowsFailed > 0)
            Line(w, "dead letter", "none: failed rows were counted, not written (use --dead-letter FILE to keep them)");
        if (o.Settings.Report is { } report)
            Line(w, "report", report);

        if (r.FailureSamples.Count > 0)
        {
            var shown = r.FailureSamples.Take(RunOutcome.SummarySamples).ToList();
            Line(w, "failures", shown.Count < r.RowsFailed ? $"first {shown.Count} of {Format.Count(r.RowsFailed)}:" : $"{shown.Count}:");
            foreach (var f in shown)
                w.WriteLine($"    {f.Stage}: {f.ErrorType}: {OneLine(f.Message, 160)}");
        }

        w.WriteLine();
        WriteStages(w, m);
    }

    /// <summary>
    /// A text table of the stages' final counters. The cpu column adds up to the process's CPU time: the stages',
    /// then the rest (reading, writing, I/O continuations, GC, JIT) on a line of its own, then the total.
    /// </summary>
    private static void WriteStages(TextWriter w, RunMetrics m)
    {
        string[] head = ["stage", "kind", "rows in", "rows out", "failed", "busy", "cpu"];
        var rows = new List<string[]> { head };
        foreach (var s in m.Stages)
            rows.Add([s.Name, s.Stage.Kind.ToString(), Format.Count(s.RowsIn), Format.Count(s.RowsOut), Format.Count(s.Failed), Format.Seconds(s.Busy), Format.Seconds(s.Cpu)]);
        rows.Add(["(rest)", "", "", "", "", "", Format.Seconds(m.OtherCpu)]);
        rows.Add(["(process)", "", "", "", "", "", Format.Seconds(m.ProcessCpu)]);
        var widths = Enumerable.Range(0, head.Length).Select(c => rows.Max(x => x[c].Length)).ToArray();
        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear().Append("  ");
            for (int c = 0; c < row.Length; c++)
            {
                if (c > 0) line.Append("  ");
                // Names left, numbers right.
                line.Append(c < 2 ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]));
            }
            w.WriteLine(line.ToString().TrimEnd());
        }
    }

    private static void Line(TextWriter w, string label, string text) => w.WriteLine($"  {label,-12} {text}");

    /// <summary>The first line of <paramref name="text"/>, cut to <paramref name="max"/> characters.</summary>
    public static string OneLine(string text, int max)
    {
        int nl = text.IndexOfAny(['\r', '\n']);
        if (nl >= 0) text = text[..nl] + " …";
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }
}
