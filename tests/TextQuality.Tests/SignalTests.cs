using TextQuality;
using Xunit;

namespace TextQuality.Tests;

public sealed class SignalTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   \n ", 0)]
    [InlineData("one", 1)]
    [InlineData("one two  three\nfour", 4)]
    [InlineData(" -- ... #tag end. ", 4)]
    public void Word_count_counts_whitespace_separated_tokens(string text, int expected) =>
        Assert.Equal(expected, Rules.WordCount(text));

    [Theory]
    [InlineData("ab abcd", 3.0)]
    [InlineData("a end.", 2.5)]              // punctuation attached to a word counts
    [InlineData("\U0001F600 ab", 1.5)]       // a surrogate pair is one character
    [InlineData("", 0.0)]
    public void Mean_word_length_is_code_points_per_word(string text, double expected) =>
        Assert.Equal(expected, Rules.MeanWordLength(text), 10);

    [Fact]
    public void Hash_ratio_counts_every_hash_symbol_per_word() =>
        Assert.Equal(0.5, Rules.HashRatio("#a #b c d"), 10);

    [Fact]
    public void Ellipsis_ratio_counts_each_ellipsis_character_and_each_run_of_three_or_more_periods() =>
        // "wait..." 1, "what…" 1, "...." 1 (one run), "a..b" 0: 3 ellipses in 5 words.
        Assert.Equal(0.6, Rules.EllipsisRatio("wait... what\u2026 ok .... a..b"), 10);

    [Fact]
    public void Symbol_ratio_is_the_larger_of_the_hash_and_ellipsis_ratios()
    {
        // 3 hashes, 1 ellipsis, 5 words.
        Assert.Equal(0.6, Rules.SymbolRatio("#x #y #z a... b"), 10);
        // 1 hash, 2 ellipses, 4 words.
        Assert.Equal(0.5, Rules.SymbolRatio("#x a\u2026 b... c"), 10);
        Assert.Equal(0.0, Rules.SymbolRatio(""), 10);
    }

    [Fact]
    public void Ellipsis_line_fraction_counts_non_blank_lines_ending_with_an_ellipsis() =>
        // 4 non-blank lines; "first line..." and "third…" end with an ellipsis, "mid... line" does not.
        Assert.Equal(0.5, Rules.EllipsisLineFraction("first line...\nmid... line\n\nthird\u2026\nfourth"), 10);

    [Fact]
    public void Ellipsis_line_fraction_ignores_trailing_whitespace_and_carriage_returns() =>
        Assert.Equal(1.0, Rules.EllipsisLineFraction("one...  \r\ntwo\u2026\t"), 10);

    [Fact]
    public void Bullet_line_fraction_counts_lines_starting_with_a_bullet()
    {
        // "• a", "- b", "* c" are bullets; "-5 degrees" (a number) and "plain" are not: 3 of 5.
        Assert.Equal(0.6, Rules.BulletLineFraction("\u2022 a\n- b\n-5 degrees\n* c\nplain\n\n"), 10);
        Assert.Equal(1.0, Rules.BulletLineFraction("  \u25AA indented\n\u25CF x"), 10);
        Assert.Equal(0.0, Rules.BulletLineFraction(""), 10);
    }

    [Fact]
    public void Alpha_word_fraction_counts_words_containing_a_letter()
    {
        // abc yes, 123 no, 4a5 yes, -- no, é yes: 3 of 5.
        Assert.Equal(0.6, Rules.AlphaWordFraction("abc 123 4a5 -- \u00E9"), 10);
        // A mathematical script capital A (outside the BMP) is a letter.
        Assert.Equal(0.5, Rules.AlphaWordFraction("\U0001D49C 1"), 10);
        Assert.Equal(0.0, Rules.AlphaWordFraction(""), 10);
    }

    [Fact]
    public void Stop_words_counts_every_occurrence_ignoring_case_and_edge_punctuation() =>
        // The, and, the, with, that.
        Assert.Equal(5, Rules.StopWords("The cat and the dog, with \"that.\""));

    [Fact]
    public void Stop_words_does_not_count_words_that_merely_contain_a_stop_word() =>
        Assert.Equal(0, Rules.StopWords("theater other bees tofu offer thathave"));

    [Fact]
    public void Stop_words_covers_the_whole_gopher_list() =>
        Assert.Equal(8, Rules.StopWords("the be to of and that have with"));

    [Fact]
    public void Signal_methods_do_not_allocate()
    {
        string text = Rules.Normalize(string.Join("\n", Enumerable.Repeat("The #quick brown fox\u2026 jumps over 12 lazy dogs...", 50)));
        RunSignals(text); // warm up: JIT, static initialization

        long before = GC.GetAllocatedBytesForCurrentThread();
        double sink = RunSignals(text);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(sink > 0);
        Assert.Equal(0, allocated);
    }

    private static double RunSignals(string text) =>
        Rules.WordCount(text) + Rules.MeanWordLength(text) + Rules.HashRatio(text) + Rules.EllipsisRatio(text)
        + Rules.SymbolRatio(text) + Rules.EllipsisLineFraction(text) + Rules.BulletLineFraction(text)
        + Rules.AlphaWordFraction(text) + Rules.StopWords(text);
}
