// The TextQuality pipeline. The logic lives in Rules.cs (tested in tests/TextQuality.Tests); every stage
// here is a one-line call, and the source generator fuses them all into one operator.

using Sluice;

namespace TextQuality;

/// <summary>One crawled page, as MakeCorpus writes it: {"id", "url", "text"}.</summary>
public sealed record Document(string Id, string Url, string Text);

/// <summary>
/// A page that passed every Gopher rule. The cleaned text is <c>Normalized</c>, not <c>Text</c>: a stage
/// computes the column named after its method, no stage may write a column that already exists, and
/// <c>Text</c> is the input column. So the stage is called <c>Normalized</c>, and the output property that
/// receives its column has the same name. (The raw <c>Text</c> column is read by no output and no stage after
/// <c>Normalized</c>, so it is dropped right there.)
/// </summary>
public sealed record CleanDocument(string Id, string Url, string Normalized, int WordCount, double MeanWordLength, uint[] MinHash);

/// <summary>
/// Gopher quality filtering (Rae et al. 2021, appendix A.1.1) with a MinHash signature per kept page for
/// near-duplicate detection downstream.
/// </summary>
/// <remarks>
/// Declaration order is execution order. Each rule's filter comes right after the stage that computes its
/// signal, so a rejected page costs no further signal; the cheap rule that rejects the most (too few words)
/// goes first, and MinHash, by far the most expensive stage, runs only on pages that passed everything.
/// All stages are synchronous per-row CPU work, so the generator fuses them into one operator; the signal
/// columns that no output reads (SymbolRatio, EllipsisLineFraction, ...) live only in locals until their
/// filter has read them. Parameters bind to columns by name, case-insensitively (wordCount → WordCount).
/// Grouping the signatures into near-duplicate clusters (Rules.LshKey buckets, then EstimatedJaccard within a
/// bucket) needs the whole corpus, so it is a step after this per-row pipeline, not a stage in it.
/// </remarks>
[Pipeline(typeof(Document), typeof(CleanDocument))]
public static partial class TextQualityPipeline
{
    [Stage] static string Normalized(string text) => Rules.Normalize(text);

    [Stage] static int WordCount(string normalized) => Rules.WordCount(normalized);
    [Filter] static bool EnoughWords(int wordCount) => Rules.PassesWordCount(wordCount);

    [Stage] static int StopWords(string normalized) => Rules.StopWords(normalized);
    [Filter] static bool HasStopWords(int stopWords) => Rules.PassesStopWords(stopWords);

    [Stage] static double MeanWordLength(string normalized) => Rules.MeanWordLength(normalized);
    [Filter] static bool PlausibleWordLength(double meanWordLength) => Rules.PassesMeanWordLength(meanWordLength);

    [Stage] static double SymbolRatio(string normalized) => Rules.SymbolRatio(normalized);
    [Filter] static bool FewSymbols(double symbolRatio) => Rules.PassesSymbolRatio(symbolRatio);

    [Stage] static double EllipsisLineFraction(string normalized) => Rules.EllipsisLineFraction(normalized);
    [Filter] static bool FewEllipsisLines(double ellipsisLineFraction) => Rules.PassesEllipsisLines(ellipsisLineFraction);

    [Stage] static double BulletLineFraction(string normalized) => Rules.BulletLineFraction(normalized);
    [Filter] static bool FewBulletLines(double bulletLineFraction) => Rules.PassesBulletLines(bulletLineFraction);

    [Stage] static double AlphaWordFraction(string normalized) => Rules.AlphaWordFraction(normalized);
    [Filter] static bool MostlyWords(double alphaWordFraction) => Rules.PassesAlphaWords(alphaWordFraction);

    [Stage] static uint[] MinHash(string normalized) => Rules.MinHash(normalized);
}
