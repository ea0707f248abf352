using Sluice;
using Sluice.Media;
using Xunit;

namespace Sluice.Pipelines.Tests;

public sealed record Article(string Title, int Views);
public sealed record ArticleOut(string Title, int RawLength, int Views, int Width, long Pixels);

/// <summary>
/// Columns replaced in place: <c>Title(string title)</c> normalises the input column, an async stage replaces
/// <c>views</c>, and <c>[Stage(Column = "Image")] Shrink(Image image)</c> replaces a stage's payload, sometimes
/// with the same object (which must live on) and sometimes with a new one (the old one must go back).
/// </summary>
[Pipeline(typeof(Article), typeof(ArticleOut))]
public static partial class NormaliseTitles
{
    [Stage] static int RawLength(string title) => title.Length;                       // the title as read
    [Stage] static string Title(string title) => title.Trim().ToLowerInvariant();     // replaced in place
    [Stage] static async Task<int> Views(int views, CancellationToken ct) { await Task.Yield(); return views + 1; }
    [Stage] static Image Image(string title) => Sluice.Media.Image.Create(title.Length + 8, 4); // sees the new title
    [Stage(Column = "Image")] static Image Shrink(Image image) => image.Width > 12 ? image.Resize(12, 2) : image;
    [Stage] static int Width(Image image) => image.Width;
    [Stage] static long Pixels(Image image) { image.Span.Fill(1); return image.Span.Length; } // fails on a disposed image
}

public sealed record Tagged(string Tags);
public sealed record TagOut(string Tags);

/// <summary>An explode that replaces the column it splits: one row per tag, in place of the list.</summary>
[Pipeline(typeof(Tagged), typeof(TagOut))]
public static partial class SplitTags
{
    [Explode] static IEnumerable<string> Tags(string tags) => tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

public class ReplaceInPlaceTests
{
    [Fact]
    public async Task A_stage_that_reads_and_writes_a_column_replaces_it_for_later_stages_and_the_output()
    {
        var rows = await NormaliseTitles.Create().RunAsync(new[] { new Article("  Hello World ", 3), new Article("AB", 0) });
        Assert.Empty(rows.Failures);
        var byTitle = rows.ToDictionary(r => r.Title);
        Assert.Equal(new[] { "ab", "hello world" }, byTitle.Keys.Order());
        Assert.Equal((14, 4, 12, 72L), (byTitle["hello world"].RawLength, byTitle["hello world"].Views, byTitle["hello world"].Width, byTitle["hello world"].Pixels)); // 12x2 RGB
        Assert.Equal((2, 1, 10, 120L), (byTitle["ab"].RawLength, byTitle["ab"].Views, byTitle["ab"].Width, byTitle["ab"].Pixels)); // 10 wide: Shrink returned the same image
        Assert.Equal(0, rows.Result.Metrics.BytesInFlight); // the replaced images went back, the kept ones once
    }

    [Fact]
    public async Task An_explode_can_replace_the_column_it_splits()
    {
        var rows = await SplitTags.Create().RunAsync(new[] { new Tagged("a, b,c"), new Tagged("") });
        Assert.Equal(new[] { "a", "b", "c" }, rows.Select(r => r.Tags).Order());
    }
}
