using System.Text.Json;
using TextQuality.Corpus;
using Xunit;

namespace TextQuality.Tests;

/// <summary>
/// The pipeline run as its users run it: the command line over a JSON Lines corpus on disk. The
/// expected output is computed independently: every input document checked with the rules directly,
/// no pipeline involved; the output is read back with System.Text.Json's DOM, not the generated codec.
/// </summary>
[Collection(nameof(EndToEndTests))]
public class EndToEndTests
{
    [Fact]
    public async Task A_warc_input_of_the_same_pages_keeps_the_same_documents()
    {
        // The corpus as WET-style conversion records, one gzip member each (Common Crawl's layout): --input picks the
        // format from the path, and the pages the rules keep are the ones kept from the JSON Lines corpus.
        var dir = Directory.CreateTempSubdirectory("textquality-warc").FullName;
        try
        {
            string warc = Path.Combine(dir, "pages.warc.gz"), output = Path.Combine(dir, "kept.jsonl");
            CorpusWriter.WriteFile(warc, 2_000, seed: 11);
            Assert.Equal(0, await TextQualityPipeline.RunAsync(new[] { "--input", warc, "--output", output, "--quiet" }));

            var expected = CorpusWriter.Generate(2_000, 11)
                .Where(d => Rules.FailedRules(Rules.Normalize(d.Text)) == GopherRule.None)
                .ToDictionary(d => $"<urn:sluice:{d.Id}>", d => (d.Url, Rules.Normalize(d.Text)));
            var kept = File.ReadLines(output).Select(l => JsonDocument.Parse(l).RootElement)
                .ToDictionary(r => r.GetProperty("id").GetString()!, r => (r.GetProperty("url").GetString()!, r.GetProperty("normalized").GetString()!));
            Assert.True(expected.Count > 500, $"{expected.Count} kept");
            Assert.Equal(expected.Keys.Order(), kept.Keys.Order());
            foreach (var (id, value) in kept) Assert.Equal(expected[id], value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_command_line_keeps_exactly_the_documents_that_pass_every_rule_with_their_minhash()
    {
        var dir = Directory.CreateTempSubdirectory("textquality-e2e").FullName;
        try
        {
            string input = Path.Combine(dir, "input.jsonl");
            string output = Path.Combine(dir, "out", "kept.jsonl");
            string report = Path.Combine(dir, "report.json");
            CorpusWriter.WriteFile(input, 4_000, seed: 7);

            int exit = await TextQualityPipeline.RunAsync(new[] { "--input", input, "--output", output, "--report", report, "--quiet" });
            Assert.Equal(0, exit);

            var expected = new Dictionary<string, string>();
            foreach (var doc in CorpusWriter.Generate(4_000, 7))
            {
                var normalized = Rules.Normalize(doc.Text);
                if (Rules.FailedRules(normalized) == GopherRule.None) expected[doc.Id] = normalized;
            }

            var kept = new Dictionary<string, JsonElement>();
            foreach (var line in File.ReadLines(output))
            {
                var row = JsonDocument.Parse(line).RootElement;
                kept.Add(row.GetProperty("id").GetString()!, row);
            }
            Assert.True(expected.Count > 1_000 && expected.Count < 4_000, $"{expected.Count} of 4000 kept: the corpus should mix good and junk");
            Assert.Equal(expected.Keys.Order(), kept.Keys.Order());
            foreach (var (id, row) in kept)
            {
                Assert.Equal(expected[id], row.GetProperty("normalized").GetString());
                Assert.Equal(Rules.WordCount(expected[id]), row.GetProperty("wordCount").GetInt32());
                var signature = row.GetProperty("minHash").EnumerateArray().Select(x => x.GetUInt32()).ToArray();
                Assert.Equal(Rules.MinHash(expected[id]), signature);
            }

            using var summary = JsonDocument.Parse(File.ReadAllText(report));
            Assert.Equal(4_000, summary.RootElement.GetProperty("rowsRead").GetInt64());
            Assert.Equal(expected.Count, summary.RootElement.GetProperty("rowsWritten").GetInt64());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_broken_line_is_dead_lettered_and_the_rest_of_the_file_goes_through()
    {
        var dir = Directory.CreateTempSubdirectory("textquality-bad").FullName;
        try
        {
            string input = Path.Combine(dir, "input.jsonl");
            CorpusWriter.WriteFile(input, 200, seed: 3);
            var lines = File.ReadAllLines(input).ToList();
            lines.Insert(10, "{\"id\": \"broken\", \"url\": 5");      // truncated JSON
            lines.Insert(20, "{\"id\": \"no-text\", \"url\": \"u\"}");  // a required column missing
            File.WriteAllLines(input, lines);
            string dead = Path.Combine(dir, "dead.jsonl");

            int exit = await TextQualityPipeline.RunAsync(new[] { "--input", input, "--output", Path.Combine(dir, "out.jsonl"), "--dead-letter", dead, "--quiet" });

            Assert.Equal(0, exit);
            var deadRows = File.ReadAllLines(dead).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(2, deadRows.Count);
            Assert.All(deadRows, r => Assert.Equal("source", r.GetProperty("stage").GetString()));
            Assert.Contains(deadRows, r => r.GetProperty("message").GetString()!.Contains("input.jsonl:11"));
            Assert.Contains(deadRows, r => r.GetProperty("message").GetString()!.Contains("'text'"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Max_failed_rows_stops_the_run_with_exit_code_3()
    {
        var dir = Directory.CreateTempSubdirectory("textquality-max").FullName;
        try
        {
            string input = Path.Combine(dir, "input.jsonl");
            File.WriteAllLines(input, Enumerable.Range(0, 50).Select(i => "{\"id\": \"x" + i + "\"}"));
            int exit = await TextQualityPipeline.RunAsync(new[] { "--input", input, "--output", Path.Combine(dir, "out.jsonl"), "--max-failed-rows", "10", "--quiet" });
            Assert.Equal(3, exit);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
