using TextQuality;
using Xunit;

namespace TextQuality.Tests;

public sealed class GopherRuleTests
{
    // 96 words of ordinary prose: passes every rule.
    private const string Prose =
        "The old harbor of the town has changed a great deal over the last century. Fishing boats once filled "
        + "the water, and the market near the pier sold whatever the crews brought back in the morning. Today most "
        + "of the boats are gone, and the warehouses that stored salt and rope have become cafes, small galleries "
        + "and a museum about the history of the coast. Visitors walk along the sea wall in the evening, and many "
        + "of them stop to read the plaques that describe the storms, the shipwrecks and the families who lived here.";

    private static string[] ProseWords => Prose.Split(' ');

    [Theory]
    [InlineData(49, false)]
    [InlineData(50, true)]
    [InlineData(100_000, true)]
    [InlineData(100_001, false)]
    public void Word_count_rule_keeps_50_to_100000_words(int words, bool kept) =>
        Assert.Equal(kept, Rules.PassesWordCount(words));

    [Theory]
    [InlineData(2.99, false)]
    [InlineData(3.0, true)]
    [InlineData(10.0, true)]
    [InlineData(10.01, false)]
    [InlineData(double.NaN, false)]
    public void Mean_word_length_rule_keeps_3_to_10_characters(double length, bool kept) =>
        Assert.Equal(kept, Rules.PassesMeanWordLength(length));

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.11, false)]
    public void Symbol_ratio_rule_keeps_at_most_one_symbol_per_ten_words(double ratio, bool kept) =>
        Assert.Equal(kept, Rules.PassesSymbolRatio(ratio));

    [Theory]
    [InlineData(0.3, true)]
    [InlineData(0.31, false)]
    public void Ellipsis_line_rule_keeps_at_most_30_percent_of_lines(double fraction, bool kept) =>
        Assert.Equal(kept, Rules.PassesEllipsisLines(fraction));

    [Theory]
    [InlineData(0.8, true)]
    [InlineData(0.79, false)]
    public void Alpha_word_rule_needs_80_percent_of_words_with_a_letter(double fraction, bool kept) =>
        Assert.Equal(kept, Rules.PassesAlphaWords(fraction));

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Stop_word_rule_needs_two_stop_words(int stopWords, bool kept) =>
        Assert.Equal(kept, Rules.PassesStopWords(stopWords));

    [Theory]
    [InlineData(0.9, true)]
    [InlineData(0.91, false)]
    public void Bullet_line_rule_keeps_at_most_90_percent_of_lines(double fraction, bool kept) =>
        Assert.Equal(kept, Rules.PassesBulletLines(fraction));

    [Fact]
    public void Ordinary_prose_passes_every_rule() =>
        Assert.Equal(GopherRule.None, Rules.FailedRules(Rules.Normalize(Prose)));

    [Fact]
    public void Short_text_fails_only_the_word_count_rule() =>
        Assert.Equal(GopherRule.WordCount, Rules.FailedRules(string.Join(' ', ProseWords[..30])));

    [Fact]
    public void Text_of_long_tokens_fails_only_the_mean_word_length_rule()
    {
        string blob = new('x', 120);
        string text = Prose + "\n" + string.Join(' ', Enumerable.Repeat(blob, 20));
        Assert.Equal(GopherRule.MeanWordLength, Rules.FailedRules(text));
    }

    [Fact]
    public void Text_of_one_letter_words_fails_only_the_mean_word_length_rule()
    {
        string text = "the of and " + string.Join(' ', Enumerable.Repeat("a b c d e f g h i j", 10));
        Assert.Equal(GopherRule.MeanWordLength, Rules.FailedRules(text));
    }

    [Fact]
    public void Hashtag_spam_fails_only_the_symbol_ratio_rule()
    {
        string text = Prose + "\n#travel #sunset #love #food #style #happy #summer #art #nature #goals #mood #vibes #follow";
        Assert.Equal(GopherRule.SymbolRatio, Rules.FailedRules(text));
    }

    [Fact]
    public void Lines_ending_with_an_ellipsis_fail_only_the_ellipsis_line_rule()
    {
        // Lines of 12 words: one ellipsis per 12 words stays under the symbol ratio.
        string[] words = ProseWords;
        var lines = new List<string>();
        for (int i = 0; i + 12 <= words.Length; i += 12)
            lines.Add(string.Join(' ', words[i..(i + 12)]) + "\u2026");
        Assert.Equal(GopherRule.EllipsisLines, Rules.FailedRules(string.Join('\n', lines)));
    }

    [Fact]
    public void A_number_table_fails_only_the_alpha_word_rule()
    {
        var rows = new List<string> { "The table below shows the sales of the region." };
        for (int year = 2000; year < 2030; year++)
            rows.Add($"{year}  14.52  3,201  -0.44  12.5%");
        Assert.Equal(GopherRule.AlphaWords, Rules.FailedRules(string.Join('\n', rows)));
    }

    [Fact]
    public void Keyword_stuffing_without_stop_words_fails_only_the_stop_word_rule()
    {
        string text = string.Join(' ', Enumerable.Repeat("cheap flights london best hotel deals discount codes online today", 8));
        Assert.Equal(GopherRule.StopWords, Rules.FailedRules(text));
    }

    [Fact]
    public void A_bullet_menu_fails_only_the_bullet_line_rule()
    {
        // Each sentence of the prose as a bullet: enough words, letters and stop words, but all bullets.
        string menu = string.Join('\n', Prose.Split(". ").Select(sentence => "\u2022 " + sentence));
        Assert.Equal(GopherRule.BulletLines, Rules.FailedRules(menu));
    }

    [Fact]
    public void A_document_can_fail_several_rules_at_once() =>
        Assert.Equal(GopherRule.WordCount | GopherRule.AlphaWords | GopherRule.StopWords,
            Rules.FailedRules("1234 5678 9012 3456"));
}
