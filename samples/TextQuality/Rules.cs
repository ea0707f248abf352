using System;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace TextQuality;

/// <summary>Which Gopher quality rules a document fails (a bit set; <see cref="None"/> when it passes all).</summary>
[Flags]
public enum GopherRule
{
    /// <summary>Passes every rule.</summary>
    None = 0,

    /// <summary>Fewer than <see cref="Rules.MinWords"/> or more than <see cref="Rules.MaxWords"/> words.</summary>
    WordCount = 1 << 0,

    /// <summary>Mean word length outside <see cref="Rules.MinMeanWordLength"/>..<see cref="Rules.MaxMeanWordLength"/>.</summary>
    MeanWordLength = 1 << 1,

    /// <summary>More than <see cref="Rules.MaxSymbolRatio"/> hashes or ellipses per word.</summary>
    SymbolRatio = 1 << 2,

    /// <summary>More than <see cref="Rules.MaxEllipsisLineFraction"/> of the lines end with an ellipsis.</summary>
    EllipsisLines = 1 << 3,

    /// <summary>Fewer than <see cref="Rules.MinAlphaWordFraction"/> of the words contain a letter.</summary>
    AlphaWords = 1 << 4,

    /// <summary>Fewer than <see cref="Rules.MinStopWords"/> English stop words.</summary>
    StopWords = 1 << 5,

    /// <summary>More than <see cref="Rules.MaxBulletLineFraction"/> of the lines start with a bullet.</summary>
    BulletLines = 1 << 6,
}

/// <summary>
/// Web-text curation rules: normalization, the Gopher quality signals and filters (Rae et al. 2021,
/// "Scaling Language Models: Methods, Analysis &amp; Insights from Training Gopher", appendix A.1.1),
/// and MinHash signatures for near-duplicate detection.
/// </summary>
/// <remarks>
/// <para>Definitions used by every signal, so that they agree with each other:</para>
/// <list type="bullet">
/// <item>A <b>word</b> is a maximal run of non-whitespace characters (<see cref="char.IsWhiteSpace(char)"/>),
/// punctuation included: <c>"end."</c> is one word of 4 characters.</item>
/// <item>A <b>line</b> is a run of characters between <c>'\n'</c>s; lines that are empty or whitespace only are
/// not counted (the blank lines between paragraphs would otherwise dilute the line fractions).</item>
/// <item>Lengths are counted in Unicode code points (a surrogate pair counts once).</item>
/// <item>A ratio whose denominator is zero (no words, no lines) is 0.</item>
/// </list>
/// <para>The signal methods scan the string once with spans and allocate nothing.</para>
/// </remarks>
public static class Rules
{
    /// <summary>Gopher: at least this many words.</summary>
    public const int MinWords = 50;

    /// <summary>Gopher: at most this many words.</summary>
    public const int MaxWords = 100_000;

    /// <summary>Gopher: mean word length at least this many characters.</summary>
    public const double MinMeanWordLength = 3.0;

    /// <summary>Gopher: mean word length at most this many characters.</summary>
    public const double MaxMeanWordLength = 10.0;

    /// <summary>Gopher: at most this many hash symbols per word, and at most this many ellipses per word.</summary>
    public const double MaxSymbolRatio = 0.1;

    /// <summary>Gopher: at most this fraction of lines may end with an ellipsis.</summary>
    public const double MaxEllipsisLineFraction = 0.3;

    /// <summary>Gopher: at least this fraction of words must contain an alphabetic character.</summary>
    public const double MinAlphaWordFraction = 0.8;

    /// <summary>Gopher: at least this many stop words (the, be, to, of, and, that, have, with).</summary>
    public const int MinStopWords = 2;

    /// <summary>Gopher: at most this fraction of lines may start with a bullet.</summary>
    public const double MaxBulletLineFraction = 0.9;

    /// <summary>MinHash: words per shingle.</summary>
    public const int ShingleSize = 5;

    /// <summary>MinHash: the default number of hash functions (signature length).</summary>
    public const int DefaultPermutations = 64;

    // ------------------------------------------------------------------------------------------
    // Normalization
    // ------------------------------------------------------------------------------------------

    private const int StackBufferChars = 1024;

    /// <summary>
    /// Cleans web text: line endings become <c>'\n'</c> (also for <c>\r</c>, <c>\v</c>, <c>\f</c>, U+0085,
    /// U+2028, U+2029); runs of horizontal whitespace (space, tab, no-break and other Unicode spaces) become one
    /// space; lines are trimmed; at most one empty line separates paragraphs; the text is trimmed; C0/C1 control
    /// characters and the byte-order mark are removed; unpaired surrogates become U+FFFD; then Unicode NFC.
    /// Returns the same instance when nothing changes.
    /// </summary>
    /// <remarks>
    /// NFC rather than NFKC: NFC only merges canonically equivalent sequences (a decomposed "e" + U+0301
    /// becomes "é"), so the text still reads exactly as authored. NFKC would also rewrite compatibility
    /// characters, changing meaning or form: "x²" to "x2", "½" to "1⁄2", ligatures, full-width and
    /// circled letters, and "…" to "...". The signals here accept both "…" and "...", and MinHash
    /// lower-cases and drops punctuation itself, so nothing downstream needs the lossy NFKC folding.
    /// Other format characters (zero-width joiner and non-joiner, directional marks) are kept: they
    /// carry meaning in emoji sequences and several scripts.
    /// </remarks>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
            return text;

        char[]? rented = null;
        Span<char> buffer = text.Length <= StackBufferChars
            ? stackalloc char[StackBufferChars]
            : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        try
        {
            int length = CleanLayout(text, buffer);
            ReadOnlySpan<char> cleaned = buffer[..length];
            string result = cleaned.SequenceEqual(text) ? text : new string(cleaned);
            // Cleaning removed every unpaired surrogate, so NFC cannot throw. Normalize returns the same
            // instance when the text is already in NFC (always for ASCII).
            return result.Normalize(NormalizationForm.FormC);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>The whitespace, line and control-character part of <see cref="Normalize"/>; output never grows.</summary>
    private static int CleanLayout(ReadOnlySpan<char> text, Span<char> output)
    {
        int written = 0;
        int pendingBreaks = 0;    // line breaks since the last visible character
        bool pendingSpace = false; // horizontal whitespace since the last visible character
        bool started = false;      // a visible character was written

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n')
                    i++;
                pendingBreaks++;
                continue;
            }
            if (IsLineBreak(c))
            {
                pendingBreaks++;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }
            if (char.IsControl(c) || c == '\uFEFF')
                continue;

            if (started)
            {
                if (pendingBreaks > 0)
                {
                    output[written++] = '\n';
                    if (pendingBreaks > 1)
                        output[written++] = '\n';
                }
                else if (pendingSpace)
                {
                    output[written++] = ' ';
                }
            }
            started = true;
            pendingBreaks = 0;
            pendingSpace = false;

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output[written++] = c;
                output[written++] = text[++i];
            }
            else
            {
                output[written++] = char.IsSurrogate(c) ? '\uFFFD' : c;
            }
        }
        return written;
    }

    private static bool IsLineBreak(char c) =>
        c is '\n' or '\v' or '\f' or '\u0085' or '\u2028' or '\u2029';

    // ------------------------------------------------------------------------------------------
    // Gopher quality signals
    // ------------------------------------------------------------------------------------------

    /// <summary>The number of words (whitespace-separated tokens).</summary>
    public static int WordCount(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int words = 0;
        bool inWord = false;
        foreach (char c in normalized)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                words++;
            }
        }
        return words;
    }

    /// <summary>The mean length of the words in code points (punctuation attached to a word counts); 0 without words.</summary>
    public static double MeanWordLength(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int words = 0;
        long characters = 0;
        bool inWord = false;
        foreach (char c in normalized)
        {
            if (char.IsWhiteSpace(c))
            {
                inWord = false;
                continue;
            }
            if (!inWord)
            {
                inWord = true;
                words++;
            }
            if (!char.IsLowSurrogate(c))
                characters++;
        }
        return words == 0 ? 0.0 : (double)characters / words;
    }

    /// <summary>Hash symbols (<c>#</c>, each one counted) per word; 0 without words.</summary>
    public static double HashRatio(string normalized)
    {
        CountSymbols(normalized, out int words, out int hashes, out _);
        return words == 0 ? 0.0 : (double)hashes / words;
    }

    /// <summary>Ellipses (<c>…</c>, or a run of three or more periods, each run counted once) per word; 0 without words.</summary>
    public static double EllipsisRatio(string normalized)
    {
        CountSymbols(normalized, out int words, out _, out int ellipses);
        return words == 0 ? 0.0 : (double)ellipses / words;
    }

    /// <summary>
    /// The symbol-to-word ratio: the larger of <see cref="HashRatio"/> and <see cref="EllipsisRatio"/>.
    /// Gopher removes a document whose ratio is above 0.1 "for either the hash symbol or the ellipsis",
    /// i.e. each symbol is limited separately, which is the same as limiting the larger of the two.
    /// </summary>
    public static double SymbolRatio(string normalized)
    {
        CountSymbols(normalized, out int words, out int hashes, out int ellipses);
        return words == 0 ? 0.0 : (double)Math.Max(hashes, ellipses) / words;
    }

    private static void CountSymbols(string text, out int words, out int hashes, out int ellipses)
    {
        ArgumentNullException.ThrowIfNull(text);
        words = 0;
        hashes = 0;
        ellipses = 0;
        bool inWord = false;
        int dots = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (++dots == 3)
                    ellipses++;
            }
            else
            {
                dots = 0;
                if (c == '#')
                    hashes++;
                else if (c == '\u2026')
                    ellipses++;
            }

            if (char.IsWhiteSpace(c))
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                words++;
            }
        }
    }

    /// <summary>The fraction of non-blank lines that end with an ellipsis (<c>…</c> or <c>...</c>); 0 without lines.</summary>
    public static double EllipsisLineFraction(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int lines = 0;
        int matching = 0;
        ReadOnlySpan<char> rest = normalized;
        while (NextLine(ref rest, out ReadOnlySpan<char> line))
        {
            lines++;
            if (line[^1] == '\u2026' || line.EndsWith("...", StringComparison.Ordinal))
                matching++;
        }
        return lines == 0 ? 0.0 : (double)matching / lines;
    }

    /// <summary>
    /// The fraction of non-blank lines that start with a bullet: one of • ‣ ⁃ ◦ ▪ ▫ ● ○ ■ □ ► ▶ ➢ ✓ ✔ ·,
    /// or an ASCII <c>-</c>, <c>*</c> or <c>+</c> followed by whitespace (a Markdown list item, not "-5");
    /// 0 without lines.
    /// </summary>
    public static double BulletLineFraction(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int lines = 0;
        int bullets = 0;
        ReadOnlySpan<char> rest = normalized;
        while (NextLine(ref rest, out ReadOnlySpan<char> line))
        {
            lines++;
            if (StartsWithBullet(line))
                bullets++;
        }
        return lines == 0 ? 0.0 : (double)bullets / lines;
    }

    private static bool StartsWithBullet(ReadOnlySpan<char> line)
    {
        switch (line[0])
        {
            case '-':
            case '*':
            case '+':
                return line.Length == 1 || char.IsWhiteSpace(line[1]);
            case '\u2022': // •
            case '\u2023': // ‣
            case '\u2043': // ⁃
            case '\u25E6': // ◦
            case '\u25AA': // ▪
            case '\u25AB': // ▫
            case '\u25CF': // ●
            case '\u25CB': // ○
            case '\u25A0': // ■
            case '\u25A1': // □
            case '\u25BA': // ►
            case '\u25B6': // ▶
            case '\u27A2': // ➢
            case '\u2713': // ✓
            case '\u2714': // ✔
            case '\u00B7': // ·
                return true;
            default:
                return false;
        }
    }

    /// <summary>Takes the next non-blank line (trimmed) off the front of <paramref name="rest"/>.</summary>
    private static bool NextLine(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> line)
    {
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf('\n');
            ReadOnlySpan<char> candidate = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlySpan<char>.Empty : rest[(end + 1)..];
            candidate = candidate.Trim();
            if (!candidate.IsEmpty)
            {
                line = candidate;
                return true;
            }
        }
        line = default;
        return false;
    }

    /// <summary>The fraction of words that contain at least one letter; 0 without words.</summary>
    public static double AlphaWordFraction(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int words = 0;
        int alphabetic = 0;
        bool inWord = false;
        bool hasLetter = false;
        for (int i = 0; i < normalized.Length; i++)
        {
            char c = normalized[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord && hasLetter)
                    alphabetic++;
                inWord = false;
                continue;
            }
            if (!inWord)
            {
                inWord = true;
                hasLetter = false;
                words++;
            }
            if (hasLetter)
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < normalized.Length && char.IsLowSurrogate(normalized[i + 1]))
            {
                hasLetter = Rune.IsLetter(new Rune(c, normalized[i + 1]));
                i++;
            }
            else
            {
                hasLetter = char.IsLetter(c);
            }
        }
        if (inWord && hasLetter)
            alphabetic++;
        return words == 0 ? 0.0 : (double)alphabetic / words;
    }

    /// <summary>
    /// How many words are Gopher stop words (the, be, to, of, and, that, have, with), counting every
    /// occurrence, ignoring case and ignoring punctuation at the ends of a word (<c>"The"</c> and
    /// <c>"that,"</c> count).
    /// </summary>
    public static int StopWords(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        int count = 0;
        ReadOnlySpan<char> text = normalized;
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
                i++;
            if (i > start && IsStopWord(TrimNonLetters(text[start..i])))
                count++;
        }
        return count;
    }

    private static ReadOnlySpan<char> TrimNonLetters(ReadOnlySpan<char> word)
    {
        int start = 0;
        int end = word.Length;
        while (start < end && !char.IsLetter(word[start]))
            start++;
        while (end > start && !char.IsLetter(word[end - 1]))
            end--;
        return word[start..end];
    }

    private static bool IsStopWord(ReadOnlySpan<char> word) => word.Length switch
    {
        2 => word.Equals("be", StringComparison.OrdinalIgnoreCase)
             || word.Equals("to", StringComparison.OrdinalIgnoreCase)
             || word.Equals("of", StringComparison.OrdinalIgnoreCase),
        3 => word.Equals("the", StringComparison.OrdinalIgnoreCase)
             || word.Equals("and", StringComparison.OrdinalIgnoreCase),
        4 => word.Equals("that", StringComparison.OrdinalIgnoreCase)
             || word.Equals("have", StringComparison.OrdinalIgnoreCase)
             || word.Equals("with", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    // ------------------------------------------------------------------------------------------
    // Gopher predicates (true = keep), one per rule, taking the signal so a filter can bind to its column
    // ------------------------------------------------------------------------------------------

    /// <summary>Between <see cref="MinWords"/> and <see cref="MaxWords"/> words.</summary>
    public static bool PassesWordCount(int wordCount) => wordCount is >= MinWords and <= MaxWords;

    /// <summary>Mean word length between <see cref="MinMeanWordLength"/> and <see cref="MaxMeanWordLength"/>.</summary>
    public static bool PassesMeanWordLength(double meanWordLength) =>
        meanWordLength >= MinMeanWordLength && meanWordLength <= MaxMeanWordLength;

    /// <summary>At most <see cref="MaxSymbolRatio"/> hashes and at most as many ellipses per word.</summary>
    public static bool PassesSymbolRatio(double symbolRatio) => symbolRatio <= MaxSymbolRatio;

    /// <summary>At most <see cref="MaxEllipsisLineFraction"/> of the lines end with an ellipsis.</summary>
    public static bool PassesEllipsisLines(double ellipsisLineFraction) => ellipsisLineFraction <= MaxEllipsisLineFraction;

    /// <summary>At least <see cref="MinAlphaWordFraction"/> of the words contain a letter.</summary>
    public static bool PassesAlphaWords(double alphaWordFraction) => alphaWordFraction >= MinAlphaWordFraction;

    /// <summary>At least <see cref="MinStopWords"/> stop words.</summary>
    public static bool PassesStopWords(int stopWords) => stopWords >= MinStopWords;

    /// <summary>At most <see cref="MaxBulletLineFraction"/> of the lines start with a bullet.</summary>
    public static bool PassesBulletLines(double bulletLineFraction) => bulletLineFraction <= MaxBulletLineFraction;

    /// <summary>Every Gopher rule that <paramref name="normalized"/> fails; <see cref="GopherRule.None"/> when it passes all.</summary>
    public static GopherRule FailedRules(string normalized)
    {
        GopherRule failed = GopherRule.None;
        if (!PassesWordCount(WordCount(normalized)))
            failed |= GopherRule.WordCount;
        if (!PassesMeanWordLength(MeanWordLength(normalized)))
            failed |= GopherRule.MeanWordLength;
        if (!PassesSymbolRatio(SymbolRatio(normalized)))
            failed |= GopherRule.SymbolRatio;
        if (!PassesEllipsisLines(EllipsisLineFraction(normalized)))
            failed |= GopherRule.EllipsisLines;
        if (!PassesAlphaWords(AlphaWordFraction(normalized)))
            failed |= GopherRule.AlphaWords;
        if (!PassesStopWords(StopWords(normalized)))
            failed |= GopherRule.StopWords;
        if (!PassesBulletLines(BulletLineFraction(normalized)))
            failed |= GopherRule.BulletLines;
        return failed;
    }

    // ------------------------------------------------------------------------------------------
    // MinHash
    // ------------------------------------------------------------------------------------------

    /// <summary>
    /// The Mersenne prime 2^31 − 1: the modulus of the hash family (a·x + b) mod p. With a, x, b below 2^31
    /// every product fits 64 bits, so AVX2 evaluates four hash functions per vector step, and the
    /// minimum of each fits the <c>uint</c> signature exactly.
    /// </summary>
    internal const uint MersennePrime = int.MaxValue;

    private const int CachedPermutations = 256;
    private const ulong CoefficientSeed = 0x5EED_7E47_0A11_71E5UL;

    // Stored as ulong (value below 2^31, upper half zero) so the vector path loads them as 64-bit lanes.
    private static readonly ulong[] s_multipliers = CreateCoefficients(CachedPermutations, multiplier: true);
    private static readonly ulong[] s_increments = CreateCoefficients(CachedPermutations, multiplier: false);

    /// <summary>
    /// The MinHash signature of <paramref name="normalized"/>: for each of <paramref name="permutations"/> hash
    /// functions h_i(x) = (a_i·x + b_i) mod (2^31 − 1), the minimum over the document's shingles. Shingles are
    /// the overlapping runs of <see cref="ShingleSize"/> consecutive words, each word lower-cased with its
    /// punctuation removed (a word of only punctuation is skipped), hashed with 64-bit FNV-1a and an avalanche
    /// mix, combined in order, and reduced mod p; a document with fewer words has one shingle of all of them.
    /// a_i and b_i come from a fixed seed, so signatures agree across runs, processes and machines (the
    /// vector and scalar paths compute the same exact values), and a shorter signature is a prefix of a
    /// longer one. A document without words gets all <see cref="uint.MaxValue"/>, which no hash reaches.
    /// Allocates only the signature (for up to 256 permutations).
    /// </summary>
    public static uint[] MinHash(string normalized, int permutations = DefaultPermutations)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        ArgumentOutOfRangeException.ThrowIfLessThan(permutations, 1);

        ReadOnlySpan<ulong> multipliers;
        ReadOnlySpan<ulong> increments;
        if (permutations <= CachedPermutations)
        {
            multipliers = s_multipliers.AsSpan(0, permutations);
            increments = s_increments.AsSpan(0, permutations);
        }
        else
        {
            multipliers = CreateCoefficients(permutations, multiplier: true);
            increments = CreateCoefficients(permutations, multiplier: false);
        }

        Span<ulong> minimums = permutations <= CachedPermutations
            ? stackalloc ulong[CachedPermutations]
            : new ulong[permutations];
        minimums = minimums[..permutations];
        minimums.Fill(uint.MaxValue);

        Span<ulong> window = stackalloc ulong[ShingleSize];
        int seen = 0;
        ReadOnlySpan<char> text = normalized;
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
                i++;
            if (i == start || !TryHashWord(text[start..i], out ulong wordHash))
                continue;

            window[seen % ShingleSize] = wordHash;
            seen++;
            if (seen >= ShingleSize)
            {
                // The oldest word of the window sits where the next one will be written.
                ulong shingle = 0;
                for (int k = 0; k < ShingleSize; k++)
                    shingle = Mix64(shingle ^ window[(seen + k) % ShingleSize]);
                Accumulate(minimums, multipliers, increments, (uint)(shingle % MersennePrime));
            }
        }
        if (seen is > 0 and < ShingleSize)
        {
            ulong shingle = 0;
            for (int k = 0; k < seen; k++)
                shingle = Mix64(shingle ^ window[k]);
            Accumulate(minimums, multipliers, increments, (uint)(shingle % MersennePrime));
        }

        uint[] signature = new uint[permutations];
        for (int p = 0; p < permutations; p++)
            signature[p] = (uint)minimums[p];
        return signature;
    }

    /// <summary>minimums[i] = min(minimums[i], (a_i·x + b_i) mod p) for every i, vectorized where AVX2 is available.</summary>
    internal static void Accumulate(Span<ulong> minimums, ReadOnlySpan<ulong> multipliers, ReadOnlySpan<ulong> increments, uint x)
    {
        int done = Avx2.IsSupported ? AccumulateAvx2(minimums, multipliers, increments, x) : 0;
        AccumulateScalar(minimums[done..], multipliers[done..], increments[done..], x);
    }

    internal static void AccumulateScalar(Span<ulong> minimums, ReadOnlySpan<ulong> multipliers, ReadOnlySpan<ulong> increments, uint x)
    {
        if (multipliers.Length < minimums.Length || increments.Length < minimums.Length)
            throw new ArgumentException("Fewer coefficients than minimums.");
        for (int p = 0; p < minimums.Length; p++)
        {
            ulong value = MultiplyAddMod(multipliers[p], x, increments[p]);
            if (value < minimums[p])
                minimums[p] = value;
        }
    }

    /// <summary>Four hash functions per step; returns how many it handled (a multiple of four).</summary>
    internal static int AccumulateAvx2(Span<ulong> minimums, ReadOnlySpan<ulong> multipliers, ReadOnlySpan<ulong> increments, uint x)
    {
        if (multipliers.Length < minimums.Length || increments.Length < minimums.Length)
            throw new ArgumentException("Fewer coefficients than minimums.");
        int count = minimums.Length & ~3;
        ref ulong minimum = ref MemoryMarshal.GetReference(minimums);
        ref ulong multiplier = ref MemoryMarshal.GetReference(multipliers);
        ref ulong increment = ref MemoryMarshal.GetReference(increments);
        Vector256<uint> vx = Vector256.Create((ulong)x).AsUInt32();
        Vector256<ulong> prime = Vector256.Create((ulong)MersennePrime);
        for (int p = 0; p < count; p += 4)
        {
            Vector256<ulong> a = Vector256.LoadUnsafe(ref multiplier, (nuint)p);
            Vector256<ulong> b = Vector256.LoadUnsafe(ref increment, (nuint)p);
            // a·x + b < 2^62 + 2^31; two Mersenne folds bring it below 2^31 + 2, then one conditional subtraction.
            Vector256<ulong> value = Avx2.Multiply(a.AsUInt32(), vx) + b;
            value = (value & prime) + (value >> 31);
            value = (value & prime) + (value >> 31);
            // In 32-bit lanes: value − p wraps above value unless value ≥ p, so the smaller one is value mod p.
            // The upper halves stay zero (0 − 0), and so does every minimum's.
            Vector256<uint> reduced = Vector256.Min(value.AsUInt32(), (value - prime).AsUInt32());
            Vector256<uint> current = Vector256.LoadUnsafe(ref minimum, (nuint)p).AsUInt32();
            Vector256.Min(current, reduced).AsUInt64().StoreUnsafe(ref minimum, (nuint)p);
        }
        return count;
    }

    /// <summary>(a·x + b) mod (2^31 − 1) for a, x, b below the prime.</summary>
    private static ulong MultiplyAddMod(ulong a, ulong x, ulong b)
    {
        ulong value = a * x + b;                           // < 2^62 + 2^31
        value = (value & MersennePrime) + (value >> 31);   // < 2^32 + 1 (2^31 ≡ 1 mod p)
        value = (value & MersennePrime) + (value >> 31);   // < 2^31 + 2
        return value >= MersennePrime ? value - MersennePrime : value;
    }

    /// <summary>64-bit FNV-1a over the lower-cased letters, digits and symbols of a word (punctuation skipped), then mixed.</summary>
    private static bool TryHashWord(ReadOnlySpan<char> word, out ulong hash)
    {
        const ulong offsetBasis = 0xCBF29CE484222325UL;
        const ulong prime = 0x100000001B3UL;
        ulong h = offsetBasis;
        bool any = false;
        foreach (char c in word)
        {
            if (char.IsPunctuation(c))
                continue;
            char lower = char.ToLowerInvariant(c);
            h = (h ^ (byte)lower) * prime;
            h = (h ^ (byte)(lower >> 8)) * prime;
            any = true;
        }
        hash = Mix64(h);
        return any;
    }

    /// <summary>The SplitMix64 finalizer: a bijective 64-bit avalanche mix.</summary>
    private static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Coefficient <c>i</c> depends only on <c>i</c> and the fixed seed: a in [1, p), b in [0, p).</summary>
    internal static ulong[] CreateCoefficients(int count, bool multiplier)
    {
        ulong[] values = new ulong[count];
        ulong stream = multiplier ? 0xA5A5_A5A5_A5A5_A5A5UL : 0x5A5A_5A5A_5A5A_5A5AUL;
        for (int i = 0; i < count; i++)
        {
            ulong random = Mix64(CoefficientSeed ^ stream ^ Mix64((ulong)i + 1));
            values[i] = multiplier ? 1 + random % (MersennePrime - 1) : random % MersennePrime;
        }
        return values;
    }

    /// <summary>The fraction of positions where two signatures agree: an estimate of the Jaccard similarity of the shingle sets.</summary>
    public static double EstimatedJaccard(uint[] a, uint[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return EstimatedJaccard(a.AsSpan(), b.AsSpan());
    }

    /// <inheritdoc cref="EstimatedJaccard(uint[], uint[])"/>
    public static double EstimatedJaccard(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Signatures differ in length ({a.Length} and {b.Length}).", nameof(b));
        if (a.IsEmpty)
            throw new ArgumentException("Signatures are empty.", nameof(a));
        int equal = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i])
                equal++;
        }
        return (double)equal / a.Length;
    }

    /// <summary>
    /// The LSH bucket key of band <paramref name="band"/>: a 64-bit hash of signature values
    /// [band·rows, band·rows + rows) and of the band number, so equal rows in different bands get different
    /// keys. Two documents share a key in some band with probability 1 − (1 − J^rows)^bands.
    /// </summary>
    public static ulong LshKey(uint[] signature, int band, int rows)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentOutOfRangeException.ThrowIfNegative(band);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if ((long)(band + 1) * rows > signature.Length)
            throw new ArgumentOutOfRangeException(nameof(band), $"Band {band} of {rows} rows lies beyond a signature of {signature.Length} values.");
        ulong key = Mix64((ulong)band + 0x9E3779B97F4A7C15UL);
        int start = band * rows;
        for (int r = 0; r < rows; r++)
            key = Mix64(key ^ signature[start + r]);
        return key;
    }
}
