using Sluice.Documents;
using Sluice.Onnx;
using Xunit;

namespace Sluice.Text.Tests;

public sealed class EmbeddingTests
{
    private static SentenceEmbedder Load(SentenceEmbedderOptions? options = null) =>
        SentenceEmbedder.Load(Models.MiniLm(), (options ?? new SentenceEmbedderOptions()) with { Session = new OnnxSessionOptions { IntraOpThreads = 2 } });

    [Fact]
    public void Similarities_match_the_published_values_of_the_model()
    {
        // sentence-transformers' quickstart with all-MiniLM-L6-v2 (sbert.net, "Usage"): model.similarity of these three
        // prints [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]].
        using var embedder = Load();
        string[] sentences = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."];
        var e = new float[3][];
        embedder.Embed(sentences, e);
        Assert.Equal(384, embedder.Dimension);
        Assert.All(e, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        Assert.Equal(0.6660, Vectors.Cosine(e[0], e[1]), 0.0005);
        Assert.Equal(0.1046, Vectors.Cosine(e[0], e[2]), 0.0005);
        Assert.Equal(0.1411, Vectors.Cosine(e[1], e[2]), 0.0005);
    }

    [Fact]
    public void Tokens_agree_with_a_reference_BERT_tokenizer_on_real_pages()
    {
        string vocab = Path.Combine(Models.MiniLm(), "vocab.txt");
        var ours = WordPieceTokenizer.Load(vocab);
        Assert.Equal([101, 1996, 4633, 2003, 8403, 2651, 1012, 102], ours.Encode("The weather is lovely today."));
        // Chunks of real pages, and the cases BERT's basic tokenizer defines: line breaks, tabs, accents, CJK, controls.
        var texts = new List<string> { "babelbib\npackage\nHarald", "a\tb\rc", "Café naïve ﬁle — “quoted”", "中文字 mixed", "bell\u0007 and \u200b zero width" };
        foreach (var path in Directory.EnumerateFiles(Models.Corpus(), "*.pdf", SearchOption.AllDirectories).Order().Take(12))
        {
            using var pdf = Pdf.Open(File.ReadAllBytes(path), path);
            foreach (var page in pdf.Pages().Take(3)) texts.AddRange(TextSplitter.Default.Split(page.Text).Select(c => c.Text));
        }
        Assert.True(texts.Count > 40);
        string dir = Directory.CreateTempSubdirectory("sluice-bert-").FullName;
        try
        {
            string input = Path.Combine(dir, "texts.jsonl"), output = Path.Combine(dir, "ids.txt");
            File.WriteAllLines(input, texts.Select(t => System.Text.Json.JsonSerializer.Serialize(t)));
            File.Copy(Path.Combine(AppContext.BaseDirectory, "bert_reference.py"), Path.Combine(dir, "bert.py"));
            Sluice.Testing.PythonReference.Run(dir, File.ReadAllText(Path.Combine(dir, "bert.py")), "the reference tokenizer failed", vocab, input, output, "256");
            var expected = File.ReadAllLines(output);
            Assert.Equal(texts.Count, expected.Length);
            for (int i = 0; i < texts.Count; i++)
            {
                var want = expected[i].Split(' ').Select(long.Parse).ToArray();
                var got = ours.Encode(texts[i], 256);
                int at = Enumerable.Range(0, Math.Min(want.Length, got.Length)).FirstOrDefault(k => want[k] != got[k], -1);
                Assert.True(want.SequenceEqual(got), $"text {i}: the tokens differ at {at} ({want.Length} against {got.Length}): " +
                    $"{string.Join(",", want.Skip(Math.Max(0, at - 3)).Take(8))} against {string.Join(",", got.Skip(Math.Max(0, at - 3)).Take(8))} for \"{texts[i][..Math.Min(80, texts[i].Length)]}\"");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Long_texts_are_truncated_to_MaxTokens_ending_with_SEP()
    {
        var tokenizer = WordPieceTokenizer.Load(Path.Combine(Models.MiniLm(), "vocab.txt"));
        string text = string.Join(' ', Enumerable.Repeat("embedding pipelines stream documents", 200));
        var ids = new long[256];
        var mask = new long[256];
        Assert.Equal(256, tokenizer.Encode(text, ids, mask));
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[255]);
        Assert.All(mask, m => Assert.Equal(1, m));
        Assert.Equal(3, tokenizer.Encode("", ids, mask) + 1); // [CLS] [SEP]
        Assert.Equal(0, mask[2]);
    }

    [Fact]
    public void Bucketed_batches_give_the_embeddings_of_texts_run_alone_in_the_callers_order()
    {
        var rng = new Random(7);
        string[] words = ["pipeline", "stream", "document", "page", "chunk", "token", "model", "batch", "memory", "budget", "the", "of", "and"];
        var texts = Enumerable.Range(0, 70).Select(i => string.Join(' ', Enumerable.Range(0, rng.Next(1, i % 3 == 0 ? 180 : 20)).Select(_ => words[rng.Next(words.Length)]))).ToArray();
        using var bucketed = Load(new SentenceEmbedderOptions { BatchSize = 16 });
        using var plain = Load(new SentenceEmbedderOptions { BatchSize = 16, Bucketing = false });
        var a = new float[texts.Length][];
        var b = new float[texts.Length][];
        bucketed.Embed(texts, a);
        plain.Embed(texts, b);
        // Bucketing runs fewer padded positions over the same real tokens; the plain embedder ran what bucketing estimates for it.
        Assert.Equal((70, 5), (plain.Padding.Texts, plain.Padding.Batches));
        Assert.Equal(plain.Padding.RealTokens, bucketed.Padding.RealTokens);
        Assert.Equal(bucketed.Padding.PositionsWithoutBucketing, plain.Padding.Positions);
        Assert.True(bucketed.Padding.Waste < plain.Padding.Waste / 2, $"{bucketed.Padding} against {plain.Padding}");
        for (int i = 0; i < texts.Length; i += 9)
        {
            var alone = bucketed.Embed(texts[i]);
            for (int d = 0; d < alone.Length; d++)
            {
                Assert.Equal(alone[d], a[i][d], 1e-4f);
                Assert.Equal(alone[d], b[i][d], 1e-4f);
            }
        }
    }

    [Fact]
    public void A_model_without_token_inputs_is_refused_with_its_name()
    {
        string resnet = Path.Combine(Models.Root(), "models", "resnet18.onnx");
        if (!File.Exists(resnet)) Assert.Fail("models/resnet18.onnx is missing: run scripts/setup-models.sh (scripts/test.sh does).");
        var e = Assert.Throws<OnnxModelException>(() => SentenceEmbedder.Load(resnet, Path.Combine(Models.MiniLm(), "vocab.txt")));
        Assert.Contains("resnet18.onnx", e.Message);
    }
}
