using System.Text.Json;
using Sluice;
using Sluice.Tests.Runtime;
using Xunit;

namespace Sluice.Tests.IO;

/// <summary>File sources and sinks under a real run of the hand-written Words pipeline.</summary>
public class FilePipelineTests
{
    private static Pipeline<Doc, WordRow> WordsWithCodecs(PipelineOptions options)
    {
        var plan = Words.Create().Plan;
        return new Pipeline<Doc, WordRow>(
            new PipelinePlan<Doc, WordRow>(plan.Name, plan.Stages, plan.Segments, plan.Boundaries, plan.Loader, plan.Unloader,
                                           new DocCodec(), new WordRowCodec()),
            options);
    }

    private const string Input =
        """
        {"text":"Alpha beta","id":1}
        {"text":"oops","id":"two"}

        {"text":"gamma","id":3}
        not json
        """;

    [Theory]
    [InlineData("out.jsonl")]
    [InlineData("out.csv")]
    [InlineData("out.csv.gz")]
    public async Task A_run_reads_a_file_writes_a_file_and_dead_letters_unreadable_input_lines_as_source_failures(string output)
    {
        using var dir = new TempDir();
        string input = dir.Write("in/docs.jsonl", Input);
        string deadLetters = dir["dead.jsonl"];
        var options = new PipelineOptions { DeadLetterPath = deadLetters, Ordered = true, Workers = 2 };

        var result = await WordsWithCodecs(options).RunAsync(Source.Files<Doc>(dir["in/*.jsonl"]), Sink.File<WordRow>(dir[output]));

        Assert.Equal(2, result.RowsRead);
        Assert.Equal(3, result.RowsWritten);
        Assert.Equal(2, result.RowsFailed);
        var (rows, bad) = await IoTest.ReadAllAsync(Source.Files<WordRow>(dir[output]), new WordRowCodec());
        Assert.Empty(bad);
        Assert.Equal(
            new[] { new WordRow(1, "alpha", 5, 50, 10), new WordRow(1, "beta", 4, 40, 8), new WordRow(3, "gamma", 5, 50, 10) },
            rows);

        var letters = File.ReadAllLines(deadLetters).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, letters.Count);
        Assert.All(letters, l => Assert.Equal("source", l.GetProperty("stage").GetString()));
        Assert.Equal($"{input}:2: column 'Id': expects Int32 but found String \"two\"", letters[0].GetProperty("message").GetString());
        Assert.Equal("""{"text":"oops","id":"two"}""", letters[0].GetProperty("row").GetString());
        Assert.StartsWith($"{input}:5: invalid JSON", letters[1].GetProperty("message").GetString());
        Assert.Equal("not json", letters[1].GetProperty("row").GetString());
    }

    [Fact]
    public async Task Unreadable_input_lines_count_toward_max_failed_rows()
    {
        using var dir = new TempDir();
        string input = dir.Write("docs.jsonl", Input);
        var result = await WordsWithCodecs(new PipelineOptions { MaxFailedRows = 1 })
            .Start(Source.JsonLines<Doc>(input), Sink.JsonLines<WordRow>(dir["out.jsonl"])).Completion;

        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.IsType<MaxFailedRowsExceededException>(result.Error);
        // A failed run does not make out.jsonl; what it wrote is whole, in the partial file, and counted.
        Assert.False(File.Exists(dir["out.jsonl"]));
        if (result.PartialOutputPath is { } partial)
        {
            Assert.Equal(dir["out.partial.jsonl"], partial);
            var lines = File.ReadAllLines(partial);
            Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
            Assert.Equal(result.RowsWritten, lines.Length);
        }
        else Assert.Equal(0, result.RowsWritten);
    }

    [Fact]
    public async Task A_file_source_reports_how_much_of_its_input_it_has_read()
    {
        using var dir = new TempDir();
        string a = dir.Write("in/a.jsonl", string.Concat(Enumerable.Range(0, 2000).Select(i => $"{{\"text\":\"alpha beta{i}\",\"id\":{i}}}\n")));
        dir.Write("in/b.jsonl", string.Concat(Enumerable.Range(0, 1000).Select(i => $"{{\"text\":\"gamma{i}\",\"id\":{i}}}\n")));
        long total = new FileInfo(a).Length + new FileInfo(dir["in/b.jsonl"]).Length;
        var reader = (FileSourceReader<Doc>)Source.JsonLines<Doc>(dir["in/*.jsonl"]).Open(new SourceContext<Doc>(new DocCodec()));
        var progress = (IInputProgress)reader;
        Assert.Equal(total, progress.TotalBytes);
        Assert.Equal(0, progress.BytesDone);
        var buffer = new Doc[500];
        Assert.Equal(500, await reader.ReadAsync(buffer, default));
        Assert.InRange(progress.BytesDone, 1, total - 1);
        while (await reader.ReadAsync(buffer, default) > 0) { }
        Assert.Equal(total, progress.BytesDone);
        await reader.DisposeAsync();

        var run = WordsWithCodecs(new PipelineOptions()).Start(Source.JsonLines<Doc>(dir["in/*.jsonl"]), Sink.Null<WordRow>());
        await run.Completion;
        Assert.Equal(1.0, run.Metrics.InputFraction);
        var memory = WordsWithCodecs(new PipelineOptions()).Start(Source.From(new[] { new Doc("a", 1) }), Sink.Null<WordRow>());
        await memory.Completion;
        Assert.Null(memory.Metrics.InputFraction); // an in-memory source does not know its size
    }

    [Fact]
    public async Task A_run_that_fails_to_start_leaves_the_old_output_and_dead_letters_untouched_and_no_empty_files()
    {
        using var dir = new TempDir();
        string output = dir.Write("out.jsonl", "{\"old\":1}\n");
        string dead = dir.Write("dead.jsonl", "{\"old\":2}\n");
        var result = await WordsWithCodecs(new PipelineOptions { DeadLetterPath = dead })
            .Start(Source.JsonLines<Doc>(dir["missing.jsonl"]), Sink.JsonLines<WordRow>(output)).Completion;
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal("{\"old\":1}\n", File.ReadAllText(output));
        Assert.Equal("{\"old\":2}\n", File.ReadAllText(dead));
        Assert.Equal(["dead.jsonl", "out.jsonl"], Directory.GetFiles(dir.Root).Select(Path.GetFileName).Order());
        Assert.Null(result.PartialOutputPath);
        Assert.Null(result.PartialDeadLetterPath);
    }

    [Fact]
    public async Task A_cancelled_run_keeps_the_old_output_and_its_rows_in_a_partial_file_that_the_counts_agree_with()
    {
        using var dir = new TempDir();
        string output = dir.Write("out.jsonl", "{\"old\":1}\n");
        string dead = dir["dead.jsonl"];
        using var cts = new CancellationTokenSource();
        async IAsyncEnumerable<Doc> Endless()
        {
            for (int i = 0; ; i++)
            {
                if (i == 20_000) cts.Cancel();
                yield return new Doc(i % 97 == 0 ? "boom" : $"alpha beta{i % 7}", i);
                if (i % 1000 == 0) await Task.Yield();
            }
        }
        var result = await WordsWithCodecs(new PipelineOptions { DeadLetterPath = dead, Workers = 2 })
            .Start(Source.From(Endless()), Sink.JsonLines<WordRow>(output), cts.Token).Completion;
        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.Equal("{\"old\":1}\n", File.ReadAllText(output));
        Assert.False(File.Exists(dead));
        Assert.Equal(dir["out.partial.jsonl"], result.PartialOutputPath);
        var lines = File.ReadAllLines(result.PartialOutputPath!);
        Assert.True(lines.Length > 0);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
        Assert.Equal(result.RowsWritten, lines.Length); // the count is the file's
        Assert.Equal(dir["dead.partial.jsonl"], result.PartialDeadLetterPath);
        Assert.Equal(result.DeadLettered, File.ReadAllLines(result.PartialDeadLetterPath!).Length);
    }

    [Fact]
    public async Task A_glob_matching_nothing_fails_the_run_naming_the_glob()
    {
        using var dir = new TempDir();
        var result = await WordsWithCodecs(new PipelineOptions())
            .Start(Source.JsonLines<Doc>(dir["*.jsonl"]), Sink.JsonLines<WordRow>(dir["out/words.jsonl"])).Completion;

        Assert.Equal(RunStatus.Failed, result.Status);
        var error = Assert.IsType<FileNotFoundException>(result.Error);
        Assert.Contains(dir["*.jsonl"], error.Message);
    }

    [Fact]
    public async Task A_type_without_a_codec_is_a_clear_error()
    {
        using var dir = new TempDir();
        string input = dir.Write("docs.jsonl", Input);
        var result = await Words.Create().Start(Source.JsonLines<Doc>(input), Sink.Null<WordRow>()).Completion;
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Contains("No row codec for Doc", result.Error!.Message);
    }
}
