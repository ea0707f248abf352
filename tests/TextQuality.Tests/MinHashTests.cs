using TextQuality;
using TextQuality.Corpus;
using Xunit;

namespace TextQuality.Tests;

public sealed class MinHashTests
{
    private static readonly CorpusDocument[] GoodDocuments =
        CorpusWriter.Generate(400, seed: 7).Where(d => d.Kind == CorpusKind.Good).ToArray();

    [Fact]
    public void Identical_documents_have_identical_signatures()
    {
        string text = Rules.Normalize(GoodDocuments[0].Text);
        string copy = new(text.AsSpan()); // another instance
        Assert.Equal(Rules.MinHash(text), Rules.MinHash(copy));
    }

    [Fact]
    public void Signatures_are_pinned_across_runs_and_machines()
    {
        // Values computed once and frozen: a change here means every stored signature changes.
        uint[] signature = Rules.MinHash("the quick brown fox jumps over the lazy dog", permutations: 6);
        Assert.Equal(PinnedSignature, signature);
    }

    private static readonly uint[] PinnedSignature = [78113739u, 286928480u, 502902910u, 333616204u, 80849256u, 17284022u];

    [Fact]
    public void Vector_and_scalar_paths_compute_the_same_minimums()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            return; // nothing to compare: only the scalar path runs here
        const int permutations = 64;
        ulong[] multipliers = Rules.CreateCoefficients(permutations, multiplier: true);
        ulong[] increments = Rules.CreateCoefficients(permutations, multiplier: false);
        ulong[] vector = Enumerable.Repeat((ulong)uint.MaxValue, permutations).ToArray();
        ulong[] scalar = (ulong[])vector.Clone();
        uint[] inputs = [0u, 1u, 2u, Rules.MersennePrime - 1, Rules.MersennePrime - 2, 123_456_789u, 1u << 30];
        var random = new Random(5);
        foreach (uint x in inputs.Concat(Enumerable.Range(0, 1000).Select(_ => (uint)random.Next(0, int.MaxValue))))
        {
            Assert.Equal(permutations, Rules.AccumulateAvx2(vector, multipliers, increments, x));
            Rules.AccumulateScalar(scalar, multipliers, increments, x);
            Assert.Equal(scalar, vector);
        }
    }

    [Fact]
    public void Case_and_punctuation_do_not_change_the_signature() =>
        Assert.Equal(Rules.MinHash("the quick brown fox jumps over the lazy dog"),
                     Rules.MinHash("The quick, brown fox -- jumps over the \"lazy\" dog!"));

    [Fact]
    public void Signature_has_one_value_per_permutation()
    {
        Assert.Equal(Rules.DefaultPermutations, Rules.MinHash("some words here").Length);
        Assert.Equal(300, Rules.MinHash("some words here", 300).Length);
    }

    [Fact]
    public void A_shorter_signature_is_a_prefix_of_a_longer_one()
    {
        string text = Rules.Normalize(GoodDocuments[1].Text);
        uint[] longer = Rules.MinHash(text, 300);
        Assert.Equal(Rules.MinHash(text, 32), longer[..32]);
        Assert.Equal(Rules.MinHash(text, 256), longer[..256]);
    }

    [Fact]
    public void Near_duplicates_have_estimated_jaccard_above_0_7()
    {
        string original = GoodDocuments.Select(d => Rules.Normalize(d.Text)).First(t => Rules.WordCount(t) >= 300);
        string[] words = original.Split(' ');
        // In about 300 words: three replaced words, one dropped word and an added sentence.
        words[words.Length / 4] = "replaced";
        words[words.Length / 2] = "changed";
        words[3 * words.Length / 4] = "different";
        string edited = string.Join(' ', words.Where((_, i) => i != 10)) + " Share this article.";

        double similarity = Rules.EstimatedJaccard(Rules.MinHash(original), Rules.MinHash(edited));

        Assert.True(similarity > 0.7, $"estimated Jaccard {similarity}");
    }

    [Fact]
    public void Unrelated_documents_have_estimated_jaccard_below_0_2()
    {
        uint[][] signatures = GoodDocuments.Take(40).Select(d => Rules.MinHash(Rules.Normalize(d.Text))).ToArray();
        double highest = 0;
        for (int i = 0; i < signatures.Length; i++)
        {
            for (int j = i + 1; j < signatures.Length; j++)
                highest = Math.Max(highest, Rules.EstimatedJaccard(signatures[i], signatures[j]));
        }
        Assert.True(highest < 0.2, $"highest estimated Jaccard {highest}");
    }

    [Fact]
    public void Estimated_jaccard_approximates_the_true_jaccard_of_the_shingle_sets()
    {
        // Distinct words w0..w99 and w50..w149: 96 shingles each, 46 shared, so J = 46 / 146.
        string a = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}"));
        string b = string.Join(' ', Enumerable.Range(50, 100).Select(i => $"w{i}"));
        double estimate = Rules.EstimatedJaccard(Rules.MinHash(a, 256), Rules.MinHash(b, 256));
        Assert.InRange(estimate, 46.0 / 146 - 0.1, 46.0 / 146 + 0.1);
    }

    [Fact]
    public void A_document_without_words_has_an_all_max_signature() =>
        Assert.All(Rules.MinHash(" \n "), value => Assert.Equal(uint.MaxValue, value));

    [Fact]
    public void A_document_shorter_than_a_shingle_still_gets_a_signature()
    {
        uint[] three = Rules.MinHash("just three words");
        Assert.Contains(three, value => value != uint.MaxValue);
        Assert.NotEqual(three, Rules.MinHash("other three words"));
    }

    [Fact]
    public void Estimated_jaccard_rejects_signatures_of_different_lengths() =>
        Assert.Throws<ArgumentException>(() => Rules.EstimatedJaccard(new uint[4], new uint[5]));

    [Fact]
    public void MinHash_allocates_only_the_signature()
    {
        string text = Rules.Normalize(GoodDocuments[3].Text);
        Rules.MinHash(text); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        uint[] signature = Rules.MinHash(text);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(64, signature.Length);
        Assert.InRange(allocated, 1, 64 * sizeof(uint) + 64);
    }

    [Fact]
    public void Lsh_keys_agree_for_equal_bands_and_differ_across_band_numbers()
    {
        uint[] signature = [1, 2, 3, 4, 1, 2, 3, 4];
        uint[] other = [1, 2, 3, 4, 9, 9, 9, 9];
        Assert.Equal(Rules.LshKey(signature, 0, 4), Rules.LshKey(other, 0, 4));
        Assert.NotEqual(Rules.LshKey(signature, 1, 4), Rules.LshKey(other, 1, 4));
        Assert.NotEqual(Rules.LshKey(signature, 0, 4), Rules.LshKey(signature, 1, 4)); // same values, other band
    }

    [Fact]
    public void Lsh_key_rejects_a_band_beyond_the_signature() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rules.LshKey(new uint[8], 2, 4));
}
