using Sluice;
using Xunit;

namespace Sluice.Pipelines.Tests;

public class GeneratedPipelineTests
{
    [Fact]
    public async Task A_record_files_cannot_hold_runs_in_memory_and_says_why_it_cannot_go_to_a_file()
    {
        var rows = await OpaqueOutput.Create().RunAsync(new[] { new Slotted(1), new Slotted(2) });
        Assert.Equal([1, 2], rows.Select(r => (int)r.Extra).Order());

        string path = Path.Combine(Path.GetTempPath(), $"sluice-opaque-{Guid.NewGuid():N}.jsonl");
        var e = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            OpaqueOutput.Create().RunAsync(Source.From(new[] { new Slotted(1) }), Sink.JsonLines<Opaque>(path)));
        Assert.Contains("Opaque cannot be read from or written to files: its property 'Extra' is object, which JSON Lines and CSV cannot hold (SLU1002)", e.Message);
        Assert.DoesNotContain("No row codec", e.Message);
        File.Delete(path);
    }

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
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_generated_pipeline_with_every_stage_kind_gives_the_same_rows_as_LINQ(bool ordered)
    {
        var docs = Docs(3_000);
        var rows = await WordPipeline.Create(new PipelineOptions { Ordered = ordered, MorselSize = 64 }).RunAsync(docs);
        var expected = Expected(docs).ToList();
        if (ordered) Assert.Equal(expected, rows);
        else Assert.Equal(expected.OrderBy(r => r.Id).ThenBy(r => r.Word), rows.OrderBy(r => r.Id).ThenBy(r => r.Word));
    }

    [Fact]
    public async Task The_generated_plan_fuses_synchronous_stages_and_splits_at_async_and_batch()
    {
        var plan = WordPipeline.Create().Plan;
        Assert.Equal(3, plan.Segments.Length);
        Assert.IsAssignableFrom<CpuSegment>(plan.Segments[0]);
        Assert.Equal(4, plan.Segments[0].Stages.Length);
        Assert.IsAssignableFrom<AsyncSegment<long>>(plan.Segments[1]);
        Assert.IsAssignableFrom<BatchSegment>(plan.Segments[2]);
        var rows = await WordPipeline.Create().RunAsync(new[] { new Doc("a boom", 1) });
        Assert.Single(rows);
    }

    [Fact]
    public async Task A_stage_nobody_reads_is_not_run()
    {
        var pipeline = Arithmetic.Create();
        Assert.DoesNotContain(pipeline.Plan.Stages, s => s.Name == "Unused");
        var rows = await pipeline.RunAsync(new[] { new Numbers(1, 3), new Numbers(2, 3) });
        Assert.Equal(new Sum(1, 4, 2.0), Assert.Single(rows));
    }
}

public class TightLoopTests
{
    [Fact]
    public async Task A_throwing_row_in_the_tight_loop_is_dead_lettered_and_the_following_rows_go_on()
    {
        var input = Enumerable.Range(0, 10).Select(i => new Numbers(i, 0)).Concat(new[] { new Numbers(0, 1) }).ToArray();
        var output = new List<Ratio>();
        var result = await Fragile.Create(new PipelineOptions { Workers = 1 }).RunAsync(Source.From(input), Sink.To(output));
        Assert.Equal(2, result.RowsFailed);
        Assert.All(result.FailureSamples, f => Assert.Equal("Inverse", f.Stage));
        Assert.All(result.FailureSamples, f => Assert.Equal(nameof(DivideByZeroException), f.ErrorType));
        // The failing input rows themselves, read from the caller's array the morsel pointed at.
        Assert.Equal(new[] { "{\"a\":0,\"b\":0}", "{\"a\":0,\"b\":1}" }, result.FailureSamples.Select(f => f.Row).Order());
        Assert.Equal(new[] { 2, 3, 4, 5, 6, 7, 8, 9 }, output.Select(r => r.A).Order());
        var inverse = result.Metrics.Stages.Single(s => s.Name == "Inverse");
        Assert.Equal(11, inverse.RowsIn);
        Assert.Equal(9, inverse.RowsOut);
        Assert.Equal(2, inverse.Failed);
    }
}

public class ColumnNamingTests
{
    [Fact]
    public async Task Snake_case_and_renamed_columns_bind_and_unread_or_nullable_ones_are_optional()
    {
        string dir = Directory.CreateTempSubdirectory("sluice-naming").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "in.jsonl"),
                "{\"image_path\":\"a.jpg\",\"Caption Text\":\"hello\",\"rank\":3}\n{\"image_path\":\"b.jpg\",\"Caption Text\":\"hi\"}\n");
            File.WriteAllText(Path.Combine(dir, "in.csv"), "image_path,Caption Text\nc.jpg,hey there\n");
            var result = await Listings.Create().RunAsync(Source.Files<Listing>(Path.Combine(dir, "in.*")), Sink.JsonLines<ListingOut>(Path.Combine(dir, "out.jsonl")));
            Assert.Equal(0, result.RowsFailed);
            // Progress by rows ended (no explode here): every input row ended, so the run is at 100%.
            Assert.Equal(1.0, result.Metrics.InputFraction);
            var lines = File.ReadAllLines(Path.Combine(dir, "out.jsonl")).Order().ToList();
            Assert.Equal(3, lines.Count);
            Assert.Contains("{\"image_path\":\"a.jpg\",\"caption_length\":5,\"item_rank\":3}", lines);
            Assert.Contains("{\"image_path\":\"b.jpg\",\"caption_length\":2,\"item_rank\":-1}", lines);
            Assert.Contains("{\"image_path\":\"c.jpg\",\"caption_length\":9,\"item_rank\":-1}", lines);

            // A column that is read is still required: its absence is a bad row naming it (by its file name).
            File.WriteAllText(Path.Combine(dir, "bad.jsonl"), "{\"Caption Text\":\"no path\"}\n{\"image_path\":\"d.jpg\",\"Caption Text\":\"ok\"}\n");
            var bad = await Listings.Create().RunAsync(Source.JsonLines<Listing>(Path.Combine(dir, "bad.jsonl")), Sink.Null<ListingOut>());
            Assert.Equal(1, bad.RowsFailed);
            Assert.Contains("image_path", bad.FailureSamples[0].Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
