using System.Text.Json;

namespace Sluice;

/// <summary>
/// The <c>--report</c> file: one JSON object with the run's status, exit code, counts, timings, memory,
/// per-stage metrics and failure samples. Written without reflection (the runtime is AOT-compatible).
/// </summary>
internal static class RunReport
{
    /// <summary>Writes the report to <paramref name="path"/> through a temporary file, so a reader never sees half of it.</summary>
    public static void WriteFile(string path, RunOutcome outcome)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var temp = full + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            Write(stream, outcome);
        File.Move(temp, full, overwrite: true);
    }

    public static void Write(Stream stream, RunOutcome o)
    {
        var r = o.Result;
        var m = r.Metrics;
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("pipeline", o.Pipeline);
        w.WriteString("status", r.Status.ToString().ToLowerInvariant());
        w.WriteNumber("exitCode", o.ExitCode);
        if (o.Error is { } e) w.WriteString("error", e.Message);
        else w.WriteNull("error");

        w.WriteStartArray("input");
        foreach (var i in o.Settings.Inputs) w.WriteStringValue(i);
        w.WriteEndArray();
        w.WriteString("output", o.Settings.Output);

        w.WriteNumber("rowsRead", r.RowsRead);
        w.WriteNumber("rowsWritten", r.RowsWritten);
        w.WriteNumber("rowsFailed", r.RowsFailed);
        w.WriteNumber("elapsedSeconds", Math.Round(m.Elapsed.TotalSeconds, 3));
        w.WriteNumber("rowsPerSecond", Math.Round(o.Throughput, 1));
        w.WriteNumber("peakPayloadBytes", m.PeakBytesInFlight);
        if (m.MemoryLimit is long limit) w.WriteNumber("memoryLimitBytes", limit);
        else w.WriteNull("memoryLimitBytes");
        w.WriteNumber("peakWorkingSetBytes", o.PeakWorkingSet);

        if (r.DeadLetterPath is { } dl) w.WriteString("deadLetterPath", dl);
        else w.WriteNull("deadLetterPath");
        w.WriteNumber("deadLettered", r.DeadLettered);
        // A run that did not complete leaves the output and dead letters as they were; its rows are here.
        if (r.PartialOutputPath is { } po) w.WriteString("partialOutput", po);
        else w.WriteNull("partialOutput");
        if (r.PartialDeadLetterPath is { } pd) w.WriteString("partialDeadLetter", pd);
        else w.WriteNull("partialDeadLetter");

        w.WriteStartArray("stages");
        foreach (var s in m.Stages)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("kind", s.Stage.Kind.ToString());
            w.WriteNumber("segment", s.Segment);
            w.WriteNumber("rowsIn", s.RowsIn);
            w.WriteNumber("rowsOut", s.RowsOut);
            w.WriteNumber("failed", s.Failed);
            w.WriteNumber("busySeconds", Math.Round(s.Busy.TotalSeconds, 3));
            w.WriteNumber("cpuSeconds", Math.Round(s.Cpu.TotalSeconds, 3));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        // The stages' cpuSeconds plus otherSeconds is processSeconds.
        w.WriteStartObject("cpu");
        w.WriteNumber("processSeconds", Math.Round(m.ProcessCpu.TotalSeconds, 3));
        w.WriteNumber("otherSeconds", Math.Round(m.OtherCpu.TotalSeconds, 3));
        w.WriteEndObject();

        w.WriteStartArray("failureSamples");
        foreach (var f in r.FailureSamples)
        {
            w.WriteStartObject();
            w.WriteString("stage", f.Stage);
            w.WriteString("error", f.ErrorType);
            w.WriteString("message", f.Message);
            w.WriteString("row", f.Row);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
