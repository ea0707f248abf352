using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice;
using Sluice.Tests.Runtime;
using Xunit;

namespace Sluice.Tests.Hosting;

public class HostRunTests
{
    private static readonly string[] Files = ["--input", "in.jsonl", "--output", "out.jsonl"];

    private static string[] Args(params string[] more) => [.. Files, .. more];

    [Fact]
    public async Task A_completed_run_exits_0_and_writes_the_rows()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(HostHarness.Docs("Alpha beta", "gamma"), Args());
        Assert.Equal(HostExitCode.Completed, code);
        Assert.Equal(3, host.Written.Count);
    }

    [Fact]
    public async Task Without_a_terminal_plain_progress_lines_and_a_summary_go_to_standard_error()
    {
        var host = new HostHarness { PlainInterval = TimeSpan.FromMilliseconds(40) };
        var code = await host.RunAsync(Source.From(SlowDocs(20, TimeSpan.FromMilliseconds(20))), Args());
        Assert.Equal(HostExitCode.Completed, code);
        Assert.Matches(new Regex(@"^\[\d\d:\d\d:\d\d\] read [\d,]+ written [\d,]+ failed [\d,]+ \([\d,.]+ rows/s in, [\d,.]+ out\) payload [\d.]+ [KMGT]?i?B", RegexOptions.Multiline), host.Err);
        Assert.Contains("Completed in", host.Err);
        Assert.Contains("read 20 rows, wrote 40, failed 0", host.Err);
        Assert.Contains("out.jsonl", host.Err);
        Assert.Contains("working set", host.Err);
        Assert.Empty(host.Out.ToString());
    }

    [Fact]
    public async Task The_summary_lists_every_stage_and_the_failure_samples()
    {
        var host = new HostHarness();
        await host.RunAsync(HostHarness.Docs("a boom b", "ok"), Args());
        foreach (var stage in new[] { "Clean", "NotEmpty", "Word", "Length", "Score", "Doubled" })
            Assert.Matches(new Regex($@"^\s+{stage}\s+(Map|Filter|Explode|Async|Batch)\s", RegexOptions.Multiline), host.Err);
        Assert.Contains("Length: InvalidOperationException: boom word", host.Err);
        Assert.Contains("failed 1", host.Err);
    }

    [Theory]
    [InlineData(0.42, 10, "42% (left 00:00:13) ")]
    [InlineData(0.004, 10, "0% ")]   // too early to tell the time left
    [InlineData(1.0, 10, "100% ")]
    [InlineData(null, 10, "")]       // a source that does not know its size
    public void Progress_shows_the_share_of_the_input_read_and_the_time_left(double? fraction, int seconds, string expected) =>
        Assert.Equal(expected, ProgressDisplay.Progress(fraction, TimeSpan.FromSeconds(seconds)));

    [Fact]
    public async Task Quiet_prints_neither_progress_nor_summary()
    {
        var host = new HostHarness { PlainInterval = TimeSpan.FromMilliseconds(20) };
        var code = await host.RunAsync(Source.From(SlowDocs(10, TimeSpan.FromMilliseconds(20))), Args("--quiet"));
        Assert.Equal(HostExitCode.Completed, code);
        Assert.Empty(host.Err);
        Assert.Empty(host.Out.ToString());
        Assert.Equal(20, host.Written.Count);
    }

    [Fact]
    public async Task Progress_none_prints_the_summary_only()
    {
        var host = new HostHarness { PlainInterval = TimeSpan.FromMilliseconds(20) };
        await host.RunAsync(Source.From(SlowDocs(10, TimeSpan.FromMilliseconds(20))), Args("--progress", "none"));
        Assert.DoesNotContain("] read ", host.Err);
        Assert.Contains("Completed in", host.Err);
    }

    [Fact]
    public async Task On_a_terminal_a_live_table_shows_the_stages()
    {
        var host = new HostHarness { IsTerminal = true };
        var code = await host.RunAsync(Source.From(SlowDocs(10, TimeSpan.FromMilliseconds(20))), Args());
        Assert.Equal(HostExitCode.Completed, code);
        Assert.Contains("payload in flight", host.Err);
        Assert.Contains("Doubled", host.Err);
        Assert.Contains("Completed in", host.Err);
    }

    [Fact]
    public async Task More_failed_rows_than_max_failed_rows_exits_3_with_a_clear_message()
    {
        var host = new HostHarness();
        var docs = Enumerable.Range(0, 100).Select(i => new Doc("boom", i)).ToList();
        var code = await host.RunAsync(docs, Args("--max-failed-rows", "5"));
        Assert.Equal(HostExitCode.TooManyFailedRows, code);
        Assert.Contains("error: ", host.Err);
        Assert.Contains("--max-failed-rows 5", host.Err);
        Assert.Contains("Stopped after", host.Err);
    }

    [Fact]
    public async Task A_run_in_which_every_row_failed_and_nothing_was_written_exits_3()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(HostHarness.Docs("boom", "boom", "boom"), Args());
        Assert.Equal(HostExitCode.TooManyFailedRows, code);
        Assert.Contains("error: every row failed: 3 rows failed and none was written", host.Err);
        Assert.Contains("(every row failed, none was written): read 3 rows, wrote 0, failed 3.", host.Err);
        Assert.Contains("boom word", host.Err);
        Assert.Empty(host.Written);

        // Rows filtered out are no failures: an empty output alone is a success.
        var empty = new HostHarness();
        Assert.Equal(HostExitCode.Completed, await empty.RunAsync(HostHarness.Docs("", "  "), Args()));
    }

    [Theory]
    [InlineData("5%", 100, 6, HostExitCode.TooManyFailedRows)]  // 6 of 100 failed: over 5%, the run stops
    [InlineData("10%", 100, 6, HostExitCode.Completed)]
    [InlineData("50%", 10, 6, HostExitCode.TooManyFailedRows)] // too few rows to stop early: judged at the end
    [InlineData("0%", 200, 1, HostExitCode.TooManyFailedRows)]
    public async Task Max_failed_rows_takes_a_share_of_the_rows_read(string limit, int rows, int failing, int expected)
    {
        var host = new HostHarness();
        var docs = Enumerable.Range(0, rows).Select(i => new Doc(i % (rows / failing) == 0 && i / (rows / failing) < failing ? "boom" : "fine", i)).ToList();
        Assert.Equal(failing, docs.Count(d => d.Text == "boom"));
        var code = await host.RunAsync(docs, Args("--max-failed-rows", limit));
        Assert.Equal(expected, code);
        if (expected == HostExitCode.TooManyFailedRows)
            Assert.Contains($"more than --max-failed-rows {limit} allows", host.Err);
    }

    [Fact]
    public async Task Failed_rows_under_the_limit_still_exit_0()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(HostHarness.Docs("boom", "ok", "boom"), Args("--max-failed-rows", "5"));
        Assert.Equal(HostExitCode.Completed, code);
        Assert.Contains("failed 2", host.Err);
    }

    [Fact]
    public async Task A_stage_with_OnError_Fail_exits_1_naming_the_stage_without_a_stack_trace()
    {
        var host = new HostHarness { LengthPolicy = OnError.Fail };
        var code = await host.RunAsync(HostHarness.Docs("ok", "boom"), Args());
        Assert.Equal(HostExitCode.Failed, code);
        Assert.Contains("error: Stage 'Length' failed", host.Err);
        Assert.Contains("boom word", host.Err);
        Assert.Contains("Failed after", host.Err);
        Assert.DoesNotContain("   at ", host.Err);
    }

    [Fact]
    public async Task With_SLUICE_DEBUG_the_error_comes_with_its_stack_trace()
    {
        var host = new HostHarness { LengthPolicy = OnError.Fail, Debug = true };
        var code = await host.RunAsync(HostHarness.Docs("boom"), Args("--quiet"));
        Assert.Equal(HostExitCode.Failed, code);
        Assert.Contains("StageFailedException", host.Err);
        Assert.Contains("   at ", host.Err);
    }

    [Fact]
    public async Task Quiet_still_prints_the_error()
    {
        var host = new HostHarness { LengthPolicy = OnError.Fail };
        var code = await host.RunAsync(HostHarness.Docs("boom"), Args("--quiet"));
        Assert.Equal(HostExitCode.Failed, code);
        Assert.StartsWith("error: Stage 'Length' failed", host.Err);
        Assert.DoesNotContain("Failed after", host.Err);
    }

    [Fact]
    public async Task An_input_that_cannot_be_opened_exits_1_naming_it()
    {
        var host = new HostHarness();
        var code = await PipelineHost.RunAsync(
            o => Words.Create(o), ["--input", "missing.jsonl", "--output", "out.jsonl"],
            new HostConsole { Out = host.Out, Error = host.Error },
            _ => throw new FileNotFoundException("No file matches."),
            _ => Sink.Null<WordRow>());
        Assert.Equal(HostExitCode.Failed, code);
        Assert.Contains("'missing.jsonl'", host.Err);
        Assert.Contains("No file matches.", host.Err);
        Assert.DoesNotContain("   at ", host.Err);
    }

    [Fact]
    public async Task An_input_error_during_the_run_exits_1_with_its_message()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Source.From(BrokenDocs()), Args());
        Assert.Equal(HostExitCode.Failed, code);
        Assert.Contains("error: in.jsonl:3: unexpected end of file", host.Err);
    }

    [Fact]
    public async Task Cancelling_through_the_token_exits_130_and_says_what_was_written_where()
    {
        var host = new HostHarness();
        using var cts = new CancellationTokenSource();
        var code = await host.RunAsync(Source.From(EndlessDocs(cts, cancelAfter: 2000)), Args(), cts.Token);
        Assert.Equal(HostExitCode.Cancelled, code);
        Assert.Contains("Cancelled after", host.Err);
        Assert.Contains($"out.jsonl ({host.Written.Count:N0} rows written before the run stopped, each complete)", host.Err);
        Assert.DoesNotContain("error:", host.Err);
    }

    [Fact]
    public async Task A_second_stop_drops_the_rows_in_flight_and_the_report_and_the_partial_file_agree()
    {
        // A row stuck in a call that ignores cancellation: the first stop waits for it (for ever, here); the second
        // stops now. Before, the second Ctrl-C killed the process, and the file could hold more lines than a report
        // counted; now the output closes at a whole row, and the report says exactly what the partial file holds.
        string dir = Directory.CreateTempSubdirectory("sluice-stop-now").FullName;
        string output = Path.Combine(dir, "out.jsonl"), report = Path.Combine(dir, "run.json"), dead = Path.Combine(dir, "dead.jsonl");
        File.WriteAllText(output, "{\"old\":true}\n");
        using var cts = new CancellationTokenSource();
        using var stopNow = new CancellationTokenSource();
        var host = new HostHarness { FileOutput = true, StopNow = stopNow.Token };
        Words.Stall.Reset();
        try
        {
            IEnumerable<Doc> Docs()
            {
                for (int i = 0; ; i++)
                {
                    if (i == 3000) { cts.Cancel(); stopNow.CancelAfter(300); }
                    yield return new Doc(i == 100 ? "seventeenletters1 boom" : "x y", i);
                }
            }
            var run = host.RunAsync(Source.From(Docs()), ["--input", "in.jsonl", "--output", output, "--report", report, "--dead-letter", dead], cts.Token);
            Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "the second stop did not end the run");
            int code = await run;
            Assert.True(code == HostExitCode.Cancelled, host.Err);

            Assert.Equal("{\"old\":true}\n", File.ReadAllText(output)); // the old output is left as it was
            string partial = Path.Combine(dir, "out.partial.jsonl");
            var lines = File.ReadAllLines(partial);
            Assert.NotEmpty(lines);
            foreach (var line in lines) System.Text.Json.JsonDocument.Parse(line).Dispose(); // every line whole
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(report));
            var root = json.RootElement;
            Assert.Equal("cancelled", root.GetProperty("status").GetString());
            Assert.Equal(lines.Length, root.GetProperty("rowsWritten").GetInt64());
            Assert.Equal(partial, root.GetProperty("partialOutput").GetString());
            Assert.Contains($"the {lines.Length:N0} rows written, each complete, are in {partial}", host.Err);
            // The dead letters agree with the report too.
            long deadLettered = root.GetProperty("deadLettered").GetInt64();
            Assert.Equal(1, deadLettered); // the "boom" word
            Assert.Equal(deadLettered, File.ReadAllLines(Path.Combine(dir, "dead.partial.jsonl")).Length);
        }
        finally
        {
            Words.Stall.Set();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Report_writes_json_with_status_counts_and_per_stage_metrics()
    {
        var report = HostHarness.TempPath(".json");
        try
        {
            var host = new HostHarness();
            var code = await host.RunAsync(HostHarness.Docs("a boom b", "ok"), Args("--report", report, "--memory-limit", "64MiB"));
            Assert.Equal(HostExitCode.Completed, code);

            using var json = JsonDocument.Parse(File.ReadAllText(report));
            var root = json.RootElement;
            Assert.Equal("Words", root.GetProperty("pipeline").GetString());
            Assert.Equal("completed", root.GetProperty("status").GetString());
            Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
            Assert.Equal(2, root.GetProperty("rowsRead").GetInt64());
            Assert.Equal(3, root.GetProperty("rowsWritten").GetInt64());
            Assert.Equal(1, root.GetProperty("rowsFailed").GetInt64());
            Assert.True(root.GetProperty("elapsedSeconds").GetDouble() >= 0);
            Assert.True(root.GetProperty("rowsPerSecond").GetDouble() >= 0);
            Assert.True(root.GetProperty("peakPayloadBytes").GetInt64() >= 0);
            Assert.Equal(64L << 20, root.GetProperty("memoryLimitBytes").GetInt64());
            Assert.True(root.GetProperty("peakWorkingSetBytes").GetInt64() > 0);
            Assert.Equal("out.jsonl", root.GetProperty("output").GetString());

            var stages = root.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            Assert.Equal(new[] { "Clean", "NotEmpty", "Word", "Length", "Score", "Doubled" }, stages.Keys);
            Assert.Equal("Explode", stages["Word"].GetProperty("kind").GetString());
            Assert.Equal(4, stages["Length"].GetProperty("rowsIn").GetInt64());
            Assert.Equal(3, stages["Length"].GetProperty("rowsOut").GetInt64());
            Assert.Equal(1, stages["Length"].GetProperty("failed").GetInt64());
            Assert.True(stages["Clean"].GetProperty("busySeconds").GetDouble() >= 0);

            var sample = Assert.Single(root.GetProperty("failureSamples").EnumerateArray());
            Assert.Equal("Length", sample.GetProperty("stage").GetString());
            Assert.Equal("boom word", sample.GetProperty("message").GetString());
        }
        finally { File.Delete(report); }
    }

    [Fact]
    public async Task Report_is_written_for_a_failed_run_too()
    {
        var report = HostHarness.TempPath(".json");
        try
        {
            var host = new HostHarness { LengthPolicy = OnError.Fail };
            var code = await host.RunAsync(HostHarness.Docs("boom"), Args("--report", report, "--quiet"));
            Assert.Equal(HostExitCode.Failed, code);
            using var json = JsonDocument.Parse(File.ReadAllText(report));
            Assert.Equal("failed", json.RootElement.GetProperty("status").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("exitCode").GetInt32());
            Assert.Contains("Length", json.RootElement.GetProperty("error").GetString());
        }
        finally { File.Delete(report); }
    }

    private static async IAsyncEnumerable<Doc> SlowDocs(int n, TimeSpan delay)
    {
        for (int i = 0; i < n; i++)
        {
            await Task.Delay(delay);
            yield return new Doc("x y", i);
        }
    }

    private static IEnumerable<Doc> BrokenDocs()
    {
        yield return new Doc("a", 1);
        yield return new Doc("b", 2);
        throw new InvalidDataException("in.jsonl:3: unexpected end of file");
    }

    private static IEnumerable<Doc> EndlessDocs(CancellationTokenSource cts, int cancelAfter)
    {
        for (int i = 0; ; i++)
        {
            if (i == cancelAfter) cts.Cancel();
            yield return new Doc("x y", i);
        }
    }
}
