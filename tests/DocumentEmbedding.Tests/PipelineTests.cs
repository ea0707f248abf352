using System.Text.Json;
using DocumentEmbedding;
using Sluice;
using Sluice.Documents;
using Sluice.Testing;
using Sluice.Text;
using Xunit;

namespace DocumentEmbedding.Tests;

/// <summary>One run of the pipeline over 12 real PDFs and 6 damaged files, shared by the tests below.</summary>
public sealed class EmbeddedCorpus : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sluice-docs-").FullName;
    public string Output => Path.Combine(Dir, "chunks.parquet");
    public string DeadLetter => Path.Combine(Dir, "dead.jsonl");
    public List<string> Urls { get; private set; } = [];
    public RunResult Result { get; private set; } = null!;
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public static string Model
    {
        get
        {
            var model = Path.Combine(Root, "models", "all-MiniLM-L6-v2");
            if (!File.Exists(Path.Combine(model, "model.onnx"))) Assert.Fail("models/all-MiniLM-L6-v2 is missing: run scripts/setup-documents.sh (scripts/test.sh does).");
            return model;
        }
    }

    public async Task InitializeAsync()
    {
        string source = Path.Combine(Root, "data", "pdf", "texlive-latex-base-doc");
        if (!File.Exists(Path.Combine(source, ".complete"))) Assert.Fail("data/pdf/texlive-latex-base-doc is missing: run scripts/setup-documents.sh (scripts/test.sh does).");
        (Urls, _) = CorpusBuilder.Build(new CorpusOptions { Source = source, Output = Dir, Count = 12, Damaged = 6, Seed = 5 });
        var options = new PipelineOptions { Workers = 2, DeadLetterPath = DeadLetter, MemoryLimit = 256L << 20, MaxFailedFraction = 0.5 };
        options.Settings["model"] = Model;
        options.Settings["max-pages"] = "60";
        Result = await EmbedDocuments.Create(options).RunAsync(Source.JsonLines<DocumentRef>(Path.Combine(Dir, CorpusBuilder.ManifestName)), Sink.Parquet<ChunkRow>(Output));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PipelineTests(EmbeddedCorpus corpus) : IClassFixture<EmbeddedCorpus>
{
    private string Out => corpus.Output.Replace("'", "''");

    [Fact]
    public void DuckDB_reads_every_chunk_with_a_unit_384_float_embedding()
    {
        Assert.Equal(RunStatus.Completed, corpus.Result.Status);
        var schema = DuckDbOracle.Query($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{Out}')").ToDictionary(r => (string)r[0]!, r => (string)r[1]!, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("VARCHAR", schema["Url"]);
        Assert.Equal("INTEGER", schema["Page"]);
        Assert.Equal("FLOAT[]", schema["Embedding"]); // Parquet has lists; the 384 is the fixed_size_list of the Arrow schema Sluice stores
        var stats = DuckDbOracle.Query($"SELECT count(*), min(list_sum(list_transform(Embedding::FLOAT[], x -> x * x))), max(list_sum(list_transform(Embedding::FLOAT[], x -> x * x))), " +
                                       $"max(length(Text)), min(len(Embedding)), max(len(Embedding)) FROM '{Out}'").Single();
        long rows = (long)stats[0]!;
        Assert.Equal(corpus.Result.Metrics.RowsWritten, rows);
        Assert.True(rows > 100, $"{rows} chunks");
        Assert.InRange(Convert.ToDouble(stats[1]), 0.9999, 1.0001);
        Assert.InRange(Convert.ToDouble(stats[2]), 0.9999, 1.0001);
        Assert.InRange(Convert.ToInt64(stats[3]), 100, 2048);
        Assert.Equal((384L, 384L), (Convert.ToInt64(stats[4]), Convert.ToInt64(stats[5])));
    }

    [Fact]
    public void Every_chunk_is_its_page_text_at_its_offset_and_its_embedding_is_the_text_embedded_alone()
    {
        var rows = DuckDbOracle.Query($"SELECT Url, Page, Chunk, Start, Text, Embedding FROM '{Out}' ORDER BY Url, Page, Chunk");
        using var embedder = SentenceEmbedder.Load(EmbeddedCorpus.Model);
        var pages = new Dictionary<(string, int), string>();
        int checkedEmbeddings = 0;
        foreach (var group in rows.GroupBy(r => ((string)r[0]!, (int)r[1]!)))
        {
            var (url, page) = group.Key;
            using var pdf = Pdf.Open(File.ReadAllBytes(url), url);
            string text = pdf.PageText(page);
            var expected = TextSplitter.Default.Split(text);
            Assert.Equal(expected.Select(c => (c.Index, c.Start, c.Text)), group.Select(r => ((int)r[2]!, (int)r[3]!, (string)r[4]!)));
            foreach (var r in group.Where((_, i) => i == 0).Take(1))
            {
                if (checkedEmbeddings++ > 25) break;
                var alone = embedder.Embed((string)r[4]!);
                var stored = ((System.Collections.IEnumerable)r[5]!).Cast<object>().Select(Convert.ToSingle).ToArray();
                Assert.Equal(384, stored.Length);
                Assert.True(Vectors.Cosine(alone, stored) > 0.9999f, $"{url} page {page}: the stored embedding differs from the text's alone");
            }
        }
        Assert.True(checkedEmbeddings > 10);
    }

    [Fact]
    public void Damaged_documents_are_dead_lettered_with_their_names_and_reasons_and_the_rest_go_on()
    {
        var dead = File.ReadAllLines(corpus.DeadLetter).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string Message(string url) => dead.Single(d => d.GetProperty("row").GetProperty("url").GetString() == url).GetProperty("message").GetString()!;
        var damaged = corpus.Urls.Where(u => u.Contains("/damaged/", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, damaged.Count);
        Assert.Contains("is not a PDF: no %PDF- header", Message(damaged.Single(u => u.EndsWith("damaged-001.pdf"))));
        Assert.Contains("is empty (0 bytes)", Message(damaged.Single(u => u.EndsWith("damaged-002.pdf"))));
        Assert.Contains("cannot be opened as a PDF", Message(damaged.Single(u => u.EndsWith("damaged-003.pdf"))));
        Assert.Contains("encrypted with a password", Message(damaged.Single(u => u.EndsWith("damaged-004.pdf"))));
        Assert.Contains("no file at", Message(damaged.Single(u => u.EndsWith("missing-005.pdf"))));
        // The PDF cut at 30% is repaired by MuPDF as far as it goes, or fails naming itself: never the run.
        string cut = damaged.Single(u => u.EndsWith("damaged-000.pdf"));
        var cutRows = DuckDbOracle.Query($"SELECT count(*) FROM '{Out}' WHERE Url = '{cut.Replace("'", "''")}'").Single();
        Assert.True((long)cutRows[0]! > 0 || dead.Any(d => d.GetProperty("message").GetString()!.Contains(cut)));
        // Every dead letter names its document.
        Assert.All(dead, d => Assert.Contains(d.GetProperty("row").GetProperty("url").GetString()!, d.GetProperty("message").GetString()!));
        // Long documents are refused with their page count, as the published benchmark skipped them.
        foreach (var d in dead.Where(d => d.GetProperty("message").GetString()!.Contains("more than the limit of 60")))
            Assert.DoesNotContain("/damaged/", d.GetProperty("row").GetProperty("url").GetString()!);
        var written = DuckDbOracle.Query($"SELECT DISTINCT Url FROM '{Out}'").Select(r => (string)r[0]!).ToHashSet();
        var real = corpus.Urls.Where(u => !u.Contains("/damaged/", StringComparison.Ordinal)).ToList();
        Assert.All(real, u => Assert.True(written.Contains(u) || dead.Any(d => d.GetProperty("row").GetProperty("url").GetString() == u), $"{u} is neither written nor dead-lettered"));
    }

    [Fact]
    public async Task A_query_finds_the_chunk_it_was_taken_from()
    {
        var rows = DuckDbOracle.Query($"SELECT Url, Page, Chunk, Text FROM '{Out}' WHERE length(Text) > 1000 ORDER BY Url, Page, Chunk LIMIT 3 OFFSET 7");
        using var embedder = SentenceEmbedder.Load(EmbeddedCorpus.Model);
        foreach (var r in rows)
        {
            string text = (string)r[3]!;
            QueryVector.Current = new QueryVector(embedder.Embed(text[..600]));
            var top = new TopK<ScoredChunk>(3);
            await ScoreChunks.Create().RunAsync(Source.Parquet<ChunkRow>(corpus.Output), Sink.To<ScoredChunk>(batch => { lock (top) foreach (var s in batch) top.Add(s.Score, s); }));
            var best = top.Results()[0].Item;
            Assert.Equal(((string)r[0]!, (int)r[1]!, (int)r[2]!), (best.Url, best.Page, best.Chunk));
        }
    }
}
