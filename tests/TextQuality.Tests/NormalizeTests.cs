using TextQuality;
using Xunit;

namespace TextQuality.Tests;

public sealed class NormalizeTests
{
    [Theory]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("a\rb", "a\nb")]
    [InlineData("a\u2028b\u2029c\u0085d\fe\vf", "a\nb\nc\nd\ne\nf")]
    public void Line_endings_become_line_feeds(string input, string expected) =>
        Assert.Equal(expected, Rules.Normalize(input));

    [Theory]
    [InlineData("a  b", "a b")]
    [InlineData("a\t\tb", "a b")]
    [InlineData("a \t \t b", "a b")]
    [InlineData("a\u00A0\u2003\u3000b", "a b")]
    public void Runs_of_horizontal_whitespace_become_one_space(string input, string expected) =>
        Assert.Equal(expected, Rules.Normalize(input));

    [Fact]
    public void Lines_are_trimmed() =>
        Assert.Equal("first line\nsecond line", Rules.Normalize("  first line \t\n\t second line   "));

    [Fact]
    public void At_most_one_empty_line_separates_paragraphs() =>
        Assert.Equal("one\n\ntwo\n\nthree", Rules.Normalize("one\n\n\n\n\ntwo\r\n\r\n\r\nthree"));

    [Fact]
    public void Whitespace_only_lines_count_as_empty() =>
        Assert.Equal("one\n\ntwo", Rules.Normalize("one\n   \n\t\n \u00A0 \ntwo"));

    [Fact]
    public void Leading_and_trailing_blank_lines_are_removed() =>
        Assert.Equal("body", Rules.Normalize("\n\n  \r\n body \n\n\n"));

    [Fact]
    public void Control_characters_are_removed() =>
        Assert.Equal("ab c", Rules.Normalize("a\u0000b\u0007 c\u001B\u007F\u009F"));

    [Fact]
    public void Byte_order_mark_is_removed() =>
        Assert.Equal("hello", Rules.Normalize("\uFEFFhello"));

    [Fact]
    public void Decomposed_accents_are_composed_to_NFC() =>
        Assert.Equal("caf\u00E9 na\u00EFve", Rules.Normalize("cafe\u0301 nai\u0308ve"));

    [Fact]
    public void Compatibility_characters_are_kept_because_the_form_is_NFC_not_NFKC() =>
        Assert.Equal("x\u00B2 \uFB01ne \u2026 \uFF21", Rules.Normalize("x\u00B2 \uFB01ne \u2026 \uFF21"));

    [Fact]
    public void Unpaired_surrogates_become_replacement_characters() =>
        Assert.Equal("a\uFFFDb\uFFFD", Rules.Normalize("a\uD800b\uDC00"));

    [Fact]
    public void Surrogate_pairs_are_kept() =>
        Assert.Equal("smile \U0001F600 ok", Rules.Normalize("smile  \U0001F600\tok"));

    [Fact]
    public void Zero_width_joiners_are_kept() =>
        Assert.Equal("\U0001F469\u200D\U0001F4BB", Rules.Normalize("\U0001F469\u200D\U0001F4BB"));

    [Fact]
    public void Already_normalized_text_is_returned_as_the_same_instance()
    {
        string text = "Already clean text.\n\nWith caf\u00E9 and two paragraphs.";
        Assert.Same(text, Rules.Normalize(text));
    }

    [Fact]
    public void Empty_and_blank_text_normalize_to_empty()
    {
        Assert.Equal("", Rules.Normalize(""));
        Assert.Equal("", Rules.Normalize(" \r\n\t\u0000 \n"));
    }

    [Fact]
    public void Normalization_is_idempotent()
    {
        string messy = "\uFEFF  Title\r\n\r\n\r\n\tFirst  line\u00A0with\u0007 cafe\u0301 \r\nsecond\u2028third \n\n\n";
        string once = Rules.Normalize(messy);
        Assert.Equal("Title\n\nFirst line with caf\u00E9\nsecond\nthird", once);
        Assert.Equal(once, Rules.Normalize(once));
    }

    [Fact]
    public void Long_text_beyond_the_stack_buffer_is_normalized()
    {
        string line = "word  word\t\tword   \r\n";
        string text = string.Concat(Enumerable.Repeat(line, 500));
        string expected = string.Join('\n', Enumerable.Repeat("word word word", 500));
        Assert.Equal(expected, Rules.Normalize(text));
    }
}
