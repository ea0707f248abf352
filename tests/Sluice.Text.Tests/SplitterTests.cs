using Xunit;

namespace Sluice.Text.Tests;

public sealed class SplitterTests
{
    [Fact]
    public void A_small_example_splits_at_paragraphs_then_sentences_with_overlap()
    {
        var splitter = new TextSplitter(chunkSize: 40, overlap: 12);
        string text = "First paragraph here.\n\nA second one, rather longer. It has two sentences in it.\n\nEnd.";
        var chunks = splitter.Split(text);
        Assert.Equal(["First paragraph here.", "A second one, rather longer.", "It has two sentences in it.\n\nEnd."], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.Equal(c.Text, text.Substring(c.Start, c.Length)));
        Assert.Equal([0, 1, 2], chunks.Select(c => c.Index));
    }

    [Fact]
    public void Words_overlap_between_chunks()
    {
        var splitter = new TextSplitter(chunkSize: 20, overlap: 8);
        var chunks = splitter.Split("one two three four five six seven eight nine ten");
        Assert.Equal(["one two three four", "four five six seven", "seven eight nine ten"], chunks.Select(c => c.Text));
    }

    [Fact]
    public void Text_without_separators_is_cut_into_full_chunks_with_exact_overlap()
    {
        var splitter = new TextSplitter(chunkSize: 2048, overlap: 200);
        string text = new string('x', 5000);
        var chunks = splitter.Split(text);
        Assert.Equal([0, 1848, 3696], chunks.Select(c => c.Start));
        Assert.Equal([2048, 2048, 1304], chunks.Select(c => c.Length));
    }

    [Fact]
    public void Blank_text_has_no_chunks_and_short_text_is_one()
    {
        Assert.Empty(TextSplitter.Default.Split(""));
        Assert.Empty(TextSplitter.Default.Split(" \n\n \n"));
        var one = Assert.Single(TextSplitter.Default.Split("  Just this.  "));
        Assert.Equal(("Just this.", 2), (one.Text, one.Start));
    }

    [Theory]
    [InlineData(2048, 200)]
    [InlineData(300, 50)]
    [InlineData(64, 0)]
    public void Every_chunk_fits_is_a_span_of_the_text_and_together_they_cover_it(int size, int overlap)
    {
        var splitter = new TextSplitter(size, overlap);
        var rng = new Random(size);
        string[] pieces = ["word", "longer-word", "a", "sentence.", "\n", "\n\n", " ", " ", " ", " ", "x" + new string('y', size / 3)];
        for (int round = 0; round < 30; round++)
        {
            string text = string.Concat(Enumerable.Range(0, rng.Next(1, 3000)).Select(_ => pieces[rng.Next(pieces.Length)] + " "));
            var chunks = splitter.Split(text);
            Assert.Equal(chunks.Count, splitter.Count(text));
            var covered = new bool[text.Length];
            int previousStart = -1, previousEnd = 0;
            foreach (var c in chunks)
            {
                Assert.InRange(c.Length, 1, size);
                Assert.Equal(c.Text, text.Substring(c.Start, c.Length));
                Assert.False(char.IsWhiteSpace(c.Text[0]) || char.IsWhiteSpace(c.Text[^1]));
                Assert.True(c.Start > previousStart, "chunks move forward");
                Assert.True(previousEnd - c.Start <= overlap, $"overlap {previousEnd - c.Start} > {overlap}");
                for (int i = c.Start; i < c.Start + c.Length; i++) covered[i] = true;
                (previousStart, previousEnd) = (c.Start, c.Start + c.Length);
            }
            for (int i = 0; i < text.Length; i++)
                Assert.True(covered[i] || char.IsWhiteSpace(text[i]), $"char {i} ('{text[i]}') is in no chunk");
        }
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextSplitter(100, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TextSplitter(0, 0));
        Assert.Throws<ArgumentException>(() => new TextSplitter(100, 10, ["\n", ""]));
    }
}

public sealed class VectorTests
{
    [Fact]
    public void TopK_matches_a_full_sort()
    {
        var rng = new Random(3);
        const int dim = 384, rows = 2000;
        var matrix = new float[rows * dim];
        for (int i = 0; i < matrix.Length; i++) matrix[i] = (float)(rng.NextDouble() * 2 - 1);
        var query = matrix.AsSpan(17 * dim, dim).ToArray();
        var top = Vectors.TopK(query, matrix, 10);
        var expected = Enumerable.Range(0, rows).Select(r => (Row: r, Score: Vectors.Cosine(query, matrix.AsSpan(r * dim, dim)))).OrderByDescending(x => x.Score).Take(10).ToArray();
        Assert.Equal(expected.Select(x => x.Row), top.Select(x => x.Row));
        Assert.Equal(17, top[0].Row);
        Assert.Equal(1f, top[0].Score, 1e-5f);
    }

    [Fact]
    public void Cosine_of_known_vectors()
    {
        Assert.Equal(0f, Vectors.Cosine([1, 0], [0, 1]), 1e-6f);
        Assert.Equal(-1f, Vectors.Cosine([1, 2], [-2, -4]), 1e-6f);
        Assert.Equal(0f, Vectors.Cosine([0, 0], [1, 1]));
        Assert.Throws<ArgumentException>(() => Vectors.Cosine([1, 2], [1]));
    }

    [Fact]
    public void TopK_keeps_the_earlier_of_equal_scores()
    {
        var top = new TopK<string>(2);
        top.Add(0.5f, "a");
        top.Add(0.9f, "b");
        top.Add(0.5f, "c");
        top.Add(float.NaN, "d");
        Assert.Equal(["b", "a"], top.Results().Select(r => r.Item));
    }
}
