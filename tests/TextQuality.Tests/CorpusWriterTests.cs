using System.Text.Json;
using TextQuality;
using TextQuality.Corpus;
using Xunit;

namespace TextQuality.Tests;

public sealed class CorpusWriterTests
{
    private static readonly CorpusDocument[] Sample = CorpusWriter.Generate(4000, seed: 42).ToArray();

    [Fact]
    public void The_same_seed_writes_byte_identical_files()
    {
        string first = Path.GetTempFileName();
        string second = Path.GetTempFileName();
        try
        {
            CorpusWriter.WriteFile(first, 1500, seed: 42);
            CorpusWriter.WriteFile(second, 1500, seed: 42);
            Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    [Fact]
    public void Different_seeds_write_different_corpora()
    {
        using var a = new MemoryStream();
        using var b = new MemoryStream();
        CorpusWriter.Write(a, 200, seed: 1);
        CorpusWriter.Write(b, 200, seed: 2);
        Assert.NotEqual(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void Each_line_is_a_json_object_with_id_url_and_text()
    {
        using var stream = new MemoryStream();
        CorpusSummary summary = CorpusWriter.Write(stream, 300, seed: 42);
        byte[] bytes = stream.ToArray();
        Assert.Equal(bytes.LongLength, summary.Bytes);
        Assert.Equal((byte)'\n', bytes[^1]);

        string[] lines = System.Text.Encoding.UTF8.GetString(bytes).TrimEnd('\n').Split('\n');
        Assert.Equal(300, lines.Length);
        var ids = new HashSet<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument json = JsonDocument.Parse(lines[i]);
            string[] names = json.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(["id", "url", "text"], names);
            Assert.Equal(Sample[i].Text, json.RootElement.GetProperty("text").GetString());
            Assert.StartsWith("https://", json.RootElement.GetProperty("url").GetString());
            Assert.True(ids.Add(json.RootElement.GetProperty("id").GetString()!));
        }
    }

    [Fact]
    public void The_mix_is_about_57_percent_good_5_percent_near_duplicates_and_38_percent_junk()
    {
        double Share(CorpusKind kind) => (double)Sample.Count(d => d.Kind == kind) / Sample.Length;
        Assert.InRange(Share(CorpusKind.Good), 0.53, 0.61);
        Assert.InRange(Share(CorpusKind.NearDuplicate), 0.04, 0.06);
        foreach (CorpusKind junk in Enum.GetValues<CorpusKind>().Where(k => k > CorpusKind.NearDuplicate))
            Assert.InRange(Share(junk), 0.02, 0.12);
    }

    [Fact]
    public void Good_documents_have_80_to_about_800_words_and_pass_every_rule()
    {
        foreach (CorpusDocument document in Sample.Where(d => d.Kind == CorpusKind.Good))
        {
            string text = Rules.Normalize(document.Text);
            Assert.InRange(Rules.WordCount(text), 80, 850);
            Assert.Equal(GopherRule.None, Rules.FailedRules(text));
        }
    }

    [Fact]
    public void Some_good_documents_have_messy_layout_that_normalization_repairs()
    {
        CorpusDocument[] messy = Sample.Where(d => d.Kind == CorpusKind.Good && d.Text.Contains('\r')).ToArray();
        Assert.NotEmpty(messy);
        Assert.All(messy, d => Assert.NotEqual(d.Text, Rules.Normalize(d.Text)));
    }

    [Fact]
    public void Near_duplicates_pass_every_rule_and_resemble_their_original()
    {
        CorpusDocument[] nearDuplicates = Sample.Where(d => d.Kind == CorpusKind.NearDuplicate).ToArray();
        Assert.NotEmpty(nearDuplicates);
        foreach (CorpusDocument copy in nearDuplicates)
        {
            CorpusDocument original = Sample[copy.DuplicateOf];
            Assert.Equal(CorpusKind.Good, original.Kind);
            string copyText = Rules.Normalize(copy.Text);
            string originalText = Rules.Normalize(original.Text);
            Assert.NotEqual(originalText, copyText);
            Assert.Equal(GopherRule.None, Rules.FailedRules(copyText));
            double similarity = Rules.EstimatedJaccard(Rules.MinHash(originalText), Rules.MinHash(copyText));
            Assert.True(similarity > 0.7, $"{copy.Id} vs {original.Id}: estimated Jaccard {similarity}");
        }
    }

    [Theory]
    [InlineData(CorpusKind.TooShort, GopherRule.WordCount)]
    [InlineData(CorpusKind.BulletMenu, GopherRule.BulletLines)]
    [InlineData(CorpusKind.HashtagSpam, GopherRule.SymbolRatio)]
    [InlineData(CorpusKind.EllipsisLines, GopherRule.EllipsisLines)]
    [InlineData(CorpusKind.NumberTable, GopherRule.AlphaWords)]
    [InlineData(CorpusKind.KeywordStuffing, GopherRule.StopWords)]
    [InlineData(CorpusKind.LongTokens, GopherRule.MeanWordLength)]
    public void Each_junk_kind_fails_the_rule_it_targets(CorpusKind kind, GopherRule target)
    {
        CorpusDocument[] documents = Sample.Where(d => d.Kind == kind).ToArray();
        Assert.NotEmpty(documents);
        foreach (CorpusDocument document in documents)
        {
            GopherRule failed = Rules.FailedRules(Rules.Normalize(document.Text));
            Assert.True((failed & target) != 0, $"{document.Id} ({kind}) fails {failed}, not {target}:\n{document.Text}");
        }
    }
}
