using Sluice;
using Xunit;

namespace Sluice.Tests.Runtime;

public class ExecutorTests
{
    private static List<Doc> Docs(int n) => Enumerable.Range(0, n)
        .Select(i => new Doc(i % 10 == 0 ? "   " : $" Alpha beta{i % 7} G ", i)).ToList();

    private static IEnumerable<WordRow> Expected(IEnumerable<Doc> docs) =>
        from d in docs
        let clean = d.Text.Trim().ToLowerInvariant()
        where clean.Length > 0
        from w in clean.Split(' ')
        where w != "boom"
        select new WordRow(d.Id, w, w.Length, w.Length * 10L, w.Length * 2);

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    public async Task Runs_map_filter_explode_async_and_batch_segments_to_the_same_rows_as_LINQ(bool ordered, int workers)
    {
        var docs = Docs(5_000);
        var pipeline = Words.Create(new PipelineOptions { Workers = workers, Ordered = ordered, MorselSize = 100 });
        var rows = await pipeline.RunAsync(docs);
        var expected = Expected(docs).ToList();
        if (ordered) Assert.Equal(expected, rows);
        else Assert.Equal(expected.OrderBy(r => r.Id).ThenBy(r => r.Word), rows.OrderBy(r => r.Id).ThenBy(r => r.Word));
    }

    [Fact]
    public async Task An_in_memory_run_returns_every_failed_row_with_its_stage_and_input()
    {
        // 31 of 1,000 rows fail: more than the 20 samples a file-to-file run keeps.
        var docs = Enumerable.Range(0, 1_000).Select(i => new Doc(i % 33 == 5 ? "boom" : "fine words", i)).ToList();
        Assert.Equal(31, docs.Count(d => d.Text == "boom"));
        var rows = await Words.Create(new PipelineOptions { Workers = 2 }).RunAsync(docs);
        Assert.Equal(2 * 969, rows.Count);
        Assert.Equal(31, rows.Result.RowsFailed);
        Assert.Equal(31, rows.Failures.Count);
        Assert.All(rows.Failures, f =>
        {
            Assert.Equal("Length", f.Stage);
            Assert.Equal(nameof(InvalidOperationException), f.ErrorType);
            Assert.Equal("boom word", f.Message);
        });
        // The input row as its codec writes it (this hand-written pipeline has none: the record's text, as JSON).
        Assert.Equal(docs.Where(d => d.Text == "boom").Select(d => System.Text.Json.JsonSerializer.Serialize(d.ToString())).Order(),
                     rows.Failures.Select(f => f.Row).Order());

        // Every row failing is a failed run, not an empty success.
        var e = await Assert.ThrowsAsync<PipelineFailedException>(() => Words.Create().RunAsync(docs.Where(d => d.Text == "boom")));
        Assert.Contains("every row failed: 31 rows failed and none was written", e.Message);
        Assert.Equal(31, e.Result.Failures.Count);
    }

    [Fact]
    public async Task Reports_rows_in_and_out_per_stage()
    {
        var docs = Docs(1_000);
        var run = Words.Create(new PipelineOptions { Workers = 2 }).Start(Source.From(docs), Sink.Null<WordRow>());
        var result = await run.Completion;
        Assert.Equal(RunStatus.Completed, result.Status);
        var s = result.Metrics.Stages.ToDictionary(x => x.Name);
        Assert.Equal(1000, s["Clean"].RowsIn);
        Assert.Equal(900, s["NotEmpty"].RowsOut);
        Assert.Equal(2700, s["Word"].RowsOut);
        Assert.Equal(2700, s["Length"].RowsIn);
        Assert.Equal(2700, s["Doubled"].RowsOut);
        Assert.Equal(2700, result.RowsWritten);
        Assert.Equal(1000, result.RowsRead);
        Assert.True(s["Clean"].Busy > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_throwing_row_is_dead_lettered_with_stage_error_and_input_row_and_the_run_goes_on()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sluice-dl-{Guid.NewGuid():N}.jsonl");
        var docs = new List<Doc> { new("a boom b", 1), new("ok", 2) };
        var rows = new List<WordRow>();
        var result = await Words.Create(new PipelineOptions { DeadLetterPath = path }).RunAsync(Source.From(docs), Sink.To(rows));
        Assert.Equal(3, rows.Count);
        Assert.Equal(1, result.RowsFailed);
        var line = Assert.Single(File.ReadAllLines(path));
        using var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal("Length", json.RootElement.GetProperty("stage").GetString());
        Assert.Equal("InvalidOperationException", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("boom word", json.RootElement.GetProperty("message").GetString());
        Assert.Contains("a boom b", json.RootElement.GetProperty("row").GetRawText());
        File.Delete(path);
    }

    [Fact]
    public async Task OnError_Fail_stops_the_run_naming_the_stage()
    {
        var docs = new List<Doc> { new("ok", 1), new("boom", 2) };
        var ex = await Assert.ThrowsAsync<PipelineFailedException>(() => Words.Create(null, OnError.Fail).RunAsync(docs));
        var inner = Assert.IsType<StageFailedException>(ex.InnerException);
        Assert.Equal("Length", inner.Stage);
    }

    [Fact]
    public async Task OnError_Null_keeps_the_row_with_a_default_value()
    {
        var rows = await Words.Create(null, OnError.Null).RunAsync(new[] { new Doc("boom", 1) });
        var row = Assert.Single(rows);
        Assert.Equal(0, row.Length);
    }

    [Fact]
    public async Task Max_failed_rows_stops_the_run_with_a_clear_message()
    {
        var docs = Enumerable.Range(0, 100).Select(i => new Doc("boom", i)).ToList();
        var result = await Words.Create(new PipelineOptions { MaxFailedRows = 5 }).Start(Source.From(docs), Sink.Null<WordRow>()).Completion;
        Assert.Equal(RunStatus.Failed, result.Status);
        var error = Assert.IsType<MaxFailedRowsExceededException>(result.Error);
        Assert.Contains("--max-failed-rows", error.Message);
    }

    [Fact]
    public async Task Cancellation_stops_cleanly()
    {
        using var cts = new CancellationTokenSource();
        var rows = InfiniteDocs(cts);
        var result = await Words.Create().Start(Source.From(rows), Sink.Null<WordRow>(), cts.Token).Completion;
        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.True(result.RowsRead >= 1000);
    }

    private static IEnumerable<Doc> InfiniteDocs(CancellationTokenSource cts)
    {
        for (int i = 0; ; i++)
        {
            if (i == 1000) cts.Cancel();
            yield return new Doc("x y", i);
        }
    }
}
