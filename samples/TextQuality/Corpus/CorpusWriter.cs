using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TextQuality.Corpus;

/// <summary>What a generated document is, and which rule it is built to fail.</summary>
public enum CorpusKind
{
    /// <summary>English prose from the built-in grammar, 80 to about 800 words; some with messy layout that normalization repairs.</summary>
    Good,

    /// <summary>A good document with a few words replaced and small cosmetic edits, under another URL.</summary>
    NearDuplicate,

    /// <summary>Boilerplate under 50 words (targets the word-count rule).</summary>
    TooShort,

    /// <summary>A navigation menu: nearly every line a bullet (targets the bullet-line rule).</summary>
    BulletMenu,

    /// <summary>A caption followed by a pile of hashtags (targets the symbol-ratio rule).</summary>
    HashtagSpam,

    /// <summary>A list of truncated teasers, each line ending with an ellipsis (targets the ellipsis-line rule).</summary>
    EllipsisLines,

    /// <summary>A caption and a table of numbers (targets the alphabetic-word rule).</summary>
    NumberTable,

    /// <summary>Search keywords strung together without stop words (targets the stop-word rule).</summary>
    KeywordStuffing,

    /// <summary>Tracking URLs and base64 blobs (targets the mean-word-length rule).</summary>
    LongTokens,
}

/// <summary>One generated document. <see cref="DuplicateOf"/> is the index of the original for a near-duplicate, else -1.</summary>
public sealed record CorpusDocument(int Index, string Id, string Url, string Text, CorpusKind Kind, int DuplicateOf);

/// <summary>How many documents of each kind were written, and how many bytes.</summary>
public sealed class CorpusSummary
{
    private readonly int[] _counts = new int[Enum.GetValues<CorpusKind>().Length];

    /// <summary>Documents written.</summary>
    public int Documents { get; private set; }

    /// <summary>Bytes written (UTF-8 JSON Lines).</summary>
    public long Bytes { get; internal set; }

    /// <summary>Documents of one kind.</summary>
    public int this[CorpusKind kind] => _counts[(int)kind];

    internal void Add(CorpusKind kind)
    {
        _counts[(int)kind]++;
        Documents++;
    }
}

/// <summary>
/// A reproducible synthetic web-text corpus for the TextQuality sample: about 57% good English prose, 5%
/// near-duplicates of good documents and 38% junk of seven kinds, each built to fail one Gopher rule.
/// Everything is derived from the seed with integer arithmetic only (own xoshiro256** generator, no
/// floating point, no hash-ordered collections, no culture), so the same seed gives the same bytes on
/// every run and machine.
/// </summary>
public sealed class CorpusWriter
{
    // Per mille of documents of each kind (the rest are good).
    private const int NearDuplicatePerMille = 50;
    private const int TooShortPerMille = 100;
    private const int BulletMenuPerMille = 70;
    private const int HashtagSpamPerMille = 50;
    private const int EllipsisLinesPerMille = 50;
    private const int NumberTablePerMille = 40;
    private const int KeywordStuffingPerMille = 40;
    private const int LongTokensPerMille = 30;
    private const int MessyLayoutPerMille = 120;

    private const int MinProseWords = 80;
    private const int ProseWordSpread = 720; // good documents have 80 + spread·u·v words, u, v uniform in [0, 1]
    private const int RecentGoodCapacity = 512;

    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText UrlName = JsonEncodedText.Encode("url");
    private static readonly JsonEncodedText TextName = JsonEncodedText.Encode("text");

    private Random64 _random;
    private readonly StringBuilder _text = new(8192);
    private readonly StringBuilder _scratch = new(1024);
    private readonly StringBuilder _url = new(128);
    private readonly string[] _recentGood = new string[RecentGoodCapacity];
    private readonly string[] _recentGoodPath = new string[RecentGoodCapacity];
    private readonly int[] _recentGoodIndex = new int[RecentGoodCapacity];
    private int _recentGoodCount;
    private int _recentGoodWritten;
    private int _index;

    // Prose writer state.
    private StringBuilder _target;
    private int _words;
    private bool _needSpace;
    private bool _capitalize;

    /// <summary>A generator whose documents are fully determined by <paramref name="seed"/>.</summary>
    public CorpusWriter(ulong seed)
    {
        _random = new Random64(seed);
        _target = _text;
    }

    /// <summary>The first <paramref name="count"/> documents of the corpus for <paramref name="seed"/>.</summary>
    public static IEnumerable<CorpusDocument> Generate(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var writer = new CorpusWriter(seed);
        for (int i = 0; i < count; i++)
            yield return writer.Next();
    }

    /// <summary>Writes <paramref name="count"/> documents as JSON Lines (<c>{"id","url","text"}</c>, '\n'-terminated, UTF-8).</summary>
    public static CorpusSummary Write(Stream output, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var summary = new CorpusSummary();
        var generator = new CorpusWriter(seed);
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using var json = new Utf8JsonWriter(output, options);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            CorpusDocument document = generator.Next();
            json.WriteStartObject();
            json.WriteString(IdName, document.Id);
            json.WriteString(UrlName, document.Url);
            json.WriteString(TextName, document.Text);
            json.WriteEndObject();
            json.Flush();
            bytes += json.BytesCommitted + 1;
            output.WriteByte((byte)'\n');
            json.Reset();
            summary.Add(document.Kind);
        }
        summary.Bytes = bytes;
        return summary;
    }

    /// <summary>
    /// Writes the corpus to <paramref name="path"/>, creating its directory; replaces an existing file. A <c>.warc</c> or
    /// <c>.warc.gz</c> path gets WET-style conversion records (<see cref="WriteWarc"/>), anything else JSON Lines.
    /// </summary>
    public static CorpusSummary WriteFile(string path, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        if (path.EndsWith(".warc.gz", StringComparison.OrdinalIgnoreCase)) return WriteWarc(file, count, seed, gzip: true);
        if (path.EndsWith(".warc", StringComparison.OrdinalIgnoreCase)) return WriteWarc(file, count, seed, gzip: false);
        return Write(file, count, seed);
    }

    /// <summary>
    /// Writes <paramref name="count"/> documents as WARC 1.1 conversion records, as Common Crawl's WET files hold page text:
    /// WARC-Record-ID <c>&lt;urn:sluice:ID&gt;</c>, WARC-Target-URI the URL, the text as a text/plain block; with
    /// <paramref name="gzip"/> each record is a gzip member of its own.
    /// </summary>
    public static CorpusSummary WriteWarc(Stream output, int count, ulong seed, bool gzip)
    {
        var summary = new CorpusSummary();
        var generator = new CorpusWriter(seed);
        long bytes = 0;
        var record = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            CorpusDocument document = generator.Next();
            byte[] text = Encoding.UTF8.GetBytes(document.Text);
            string head = "WARC/1.1\r\nWARC-Type: conversion\r\n" +
                          $"WARC-Record-ID: <urn:sluice:{document.Id}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n" +
                          $"WARC-Target-URI: {document.Url}\r\nContent-Type: text/plain\r\nContent-Length: {text.Length}\r\n\r\n";
            record.SetLength(0);
            record.Write(Encoding.UTF8.GetBytes(head));
            record.Write(text);
            record.Write("\r\n\r\n"u8);
            if (gzip)
            {
                using var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
                gz.Write(record.GetBuffer(), 0, (int)record.Length);
            }
            else output.Write(record.GetBuffer(), 0, (int)record.Length);
            bytes += record.Length;
            summary.Add(document.Kind);
        }
        summary.Bytes = bytes;
        return summary;
    }

    /// <summary>The next document.</summary>
    public CorpusDocument Next()
    {
        int index = _index++;
        string id = "tq-" + index.ToString("D8", CultureInfo.InvariantCulture);
        _text.Clear();
        _url.Clear();

        CorpusKind kind = ChooseKind();
        int duplicateOf = -1;
        switch (kind)
        {
            case CorpusKind.Good:
                WriteGood(index);
                break;
            case CorpusKind.NearDuplicate:
                duplicateOf = WriteNearDuplicate();
                break;
            case CorpusKind.TooShort:
                WriteTooShort();
                break;
            case CorpusKind.BulletMenu:
                WriteBulletMenu();
                break;
            case CorpusKind.HashtagSpam:
                WriteHashtagSpam();
                break;
            case CorpusKind.EllipsisLines:
                WriteEllipsisLines();
                break;
            case CorpusKind.NumberTable:
                WriteNumberTable();
                break;
            case CorpusKind.KeywordStuffing:
                WriteKeywordStuffing();
                break;
            case CorpusKind.LongTokens:
                WriteLongTokens();
                break;
        }
        if (_url.Length == 0)
            AppendSpamUrl();
        string text = _text.ToString();
        if (kind == CorpusKind.Good)
            _recentGood[(_recentGoodWritten - 1) % RecentGoodCapacity] = text;
        return new CorpusDocument(index, id, _url.ToString(), text, kind, duplicateOf);
    }

    private CorpusKind ChooseKind()
    {
        int roll = _random.Below(1000);
        if ((roll -= NearDuplicatePerMille) < 0)
            return _recentGoodCount > 0 ? CorpusKind.NearDuplicate : CorpusKind.Good;
        if ((roll -= TooShortPerMille) < 0)
            return CorpusKind.TooShort;
        if ((roll -= BulletMenuPerMille) < 0)
            return CorpusKind.BulletMenu;
        if ((roll -= HashtagSpamPerMille) < 0)
            return CorpusKind.HashtagSpam;
        if ((roll -= EllipsisLinesPerMille) < 0)
            return CorpusKind.EllipsisLines;
        if ((roll -= NumberTablePerMille) < 0)
            return CorpusKind.NumberTable;
        if ((roll -= KeywordStuffingPerMille) < 0)
            return CorpusKind.KeywordStuffing;
        if ((roll -= LongTokensPerMille) < 0)
            return CorpusKind.LongTokens;
        return CorpusKind.Good;
    }

    // ------------------------------------------------------------------------------------------
    // Good prose and near-duplicates
    // ------------------------------------------------------------------------------------------

    private void WriteGood(int index)
    {
        int target = MinProseWords + _random.Below(ProseWordSpread + 1) * _random.Below(ProseWordSpread + 1) / ProseWordSpread;
        BeginProse(_text);
        if (_random.Below(100) < 30)
        {
            int titleWords = 2 + _random.Below(4);
            for (int i = 0; i < titleWords; i++)
                TitleWord(i == 0 || _random.Below(2) == 0 ? Pick(Nouns) : Pick(Adjectives));
            _text.Append("\n\n");
            _needSpace = false;
        }
        int sentencesInParagraph = 0;
        int paragraphLength = 2 + _random.Below(6);
        while (_words < target)
        {
            if (sentencesInParagraph == paragraphLength)
            {
                _text.Append("\n\n");
                _needSpace = false;
                sentencesInParagraph = 0;
                paragraphLength = 2 + _random.Below(6);
            }
            Sentence();
            sentencesInParagraph++;
        }

        string path = AppendGoodUrl();
        if (_random.Below(1000) < MessyLayoutPerMille)
            MakeLayoutMessy();

        // The text itself is remembered by Next, which makes the document's string anyway.
        int slot = _recentGoodWritten++ % RecentGoodCapacity;
        _recentGoodPath[slot] = path;
        _recentGoodIndex[slot] = index;
        if (_recentGoodCount < RecentGoodCapacity)
            _recentGoodCount++;
    }

    /// <summary>Copies a recent good document with one replaced word per 60 (at least one) and a cosmetic edit.</summary>
    private int WriteNearDuplicate()
    {
        int slot = _random.Below(_recentGoodCount);
        string original = _recentGood[slot];
        _text.Append(original);

        int words = 1;
        foreach (char c in original)
        {
            if (c == ' ')
                words++;
        }
        int edits = Math.Max(1, words / 60);
        for (int e = 0; e < edits; e++)
            ReplaceRandomWord();

        switch (_random.Below(4))
        {
            case 0:
                _text.Append("\n\nShare this article.");
                break;
            case 1:
                int period = _text.ToString().LastIndexOf('.');
                if (period >= 0)
                    _text[period] = '!';
                break;
            case 2:
                _text.Insert(0, "Reposted from the original source.\n\n");
                break;
            default:
                break; // word edits only
        }

        _url.Append("https://").Append(Pick(MirrorSites)).Append('/').Append(_recentGoodPath[slot]);
        return _recentGoodIndex[slot];
    }

    private void ReplaceRandomWord()
    {
        int position = _random.Below(_text.Length);
        while (position < _text.Length && _text[position] != ' ')
            position++;
        int start = position + 1;
        int end = start;
        while (end < _text.Length && char.IsLetter(_text[end]))
            end++;
        if (end == start)
            return;
        string replacement = _random.Below(2) == 0 ? Pick(Nouns) : Pick(Adjectives);
        _text.Remove(start, end - start).Insert(start, replacement);
    }

    /// <summary>Layout damage that <c>Rules.Normalize</c> repairs: CRLF, runs of spaces and tabs, odd spaces, blank-line runs, control characters, decomposed accents, a byte-order mark.</summary>
    private void MakeLayoutMessy()
    {
        string clean = _text.ToString();
        _text.Clear();
        bool crlf = _random.Below(2) == 0;
        if (_random.Below(4) == 0)
            _text.Append('\uFEFF');
        if (_random.Below(4) == 0)
            _text.Append("  \n");
        foreach (char c in clean)
        {
            switch (c)
            {
                case ' ':
                    _text.Append(_random.Below(12) switch
                    {
                        0 => "  ",
                        1 => " \t",
                        2 => "\u00A0",
                        3 => " \u0007 ",
                        _ => " ",
                    });
                    break;
                case '\n':
                    if (_random.Below(4) == 0)
                        _text.Append("   ");
                    _text.Append(crlf ? "\r\n" : "\n");
                    if (_random.Below(8) == 0)
                        _text.Append(crlf ? " \r\n\r\n" : " \n\n");
                    if (_random.Below(6) == 0)
                        _text.Append('\t');
                    break;
                case 'é':
                    _text.Append("e\u0301");
                    break;
                case 'ï':
                    _text.Append("i\u0308");
                    break;
                case 'ç':
                    _text.Append("c\u0327");
                    break;
                default:
                    _text.Append(c);
                    break;
            }
        }
        if (_random.Below(3) == 0)
            _text.Append(crlf ? "\r\n\r\n" : "\n\n\n");
    }

    private string AppendGoodUrl()
    {
        _url.Append("https://").Append(Pick(Sites)).Append('/');
        int start = _url.Length;
        _url.Append(Pick(Sections)).Append('/');
        int slugWords = 2 + _random.Below(4);
        for (int i = 0; i < slugWords; i++)
            _url.Append(i % 2 == 0 ? Pick(Adjectives) : Pick(Nouns)).Append('-');
        _url.Append(_random.Below(100_000).ToString(CultureInfo.InvariantCulture));
        return _url.ToString(start, _url.Length - start);
    }

    private void AppendSpamUrl()
    {
        _url.Append("https://").Append(Pick(SpamSites)).Append('/').Append(Pick(Sections)).Append("/page-")
            .Append(_random.Below(1_000_000).ToString(CultureInfo.InvariantCulture)).Append(".html");
    }

    // ------------------------------------------------------------------------------------------
    // Junk
    // ------------------------------------------------------------------------------------------

    private void WriteTooShort()
    {
        do
        {
            _text.Clear();
            BeginProse(_text);
            if (_random.Below(2) == 0)
                Sentence();
            int phrases = 1 + _random.Below(3);
            for (int i = 0; i < phrases; i++)
            {
                if (_text.Length > 0)
                    _text.Append(_random.Below(2) == 0 ? "\n" : " ");
                string phrase = Pick(Boilerplate);
                _text.Append(phrase);
                _words += CountWords(phrase);
            }
        }
        while (_words >= 50);
    }

    private void WriteBulletMenu()
    {
        string bullet = Pick(BulletMarks);
        if (_random.Below(2) == 0)
            _text.Append(Pick(MenuHeaders)).Append('\n');
        int lines = 15 + _random.Below(30);
        for (int i = 0; i < lines; i++)
        {
            _text.Append(bullet).Append(' ').Append(Pick(MenuItems));
            if (i + 1 < lines)
                _text.Append('\n');
        }
    }

    private void WriteHashtagSpam()
    {
        BeginProse(_text);
        int sentences = 1 + _random.Below(2);
        for (int i = 0; i < sentences; i++)
            Sentence();
        _text.Append("\n\n");
        int tags = 30 + _random.Below(50);
        for (int i = 0; i < tags; i++)
        {
            if (i > 0)
                _text.Append(i % 12 == 0 ? '\n' : ' ');
            _text.Append('#').Append(Pick(TagWords));
            if (_random.Below(3) == 0)
                _text.Append(Pick(TagWords));
        }
    }

    private void WriteEllipsisLines()
    {
        string ellipsis = _random.Below(2) == 0 ? "\u2026" : "...";
        int teasers = 6 + _random.Below(15);
        for (int i = 0; i < teasers; i++)
        {
            if (i > 0)
                _text.Append('\n');
            AppendTruncatedSentence(10 + _random.Below(9));
            _text.Append(ellipsis);
            if (_random.Below(4) == 0)
                _text.Append('\n').Append(Pick(ReadMore));
        }
    }

    /// <summary>The first <paramref name="words"/> words of fresh prose, without the final punctuation.</summary>
    private void AppendTruncatedSentence(int words)
    {
        _scratch.Clear();
        BeginProse(_scratch);
        while (_words < words)
            Sentence();
        _target = _text;
        int taken = 0;
        int end = 0;
        while (end < _scratch.Length)
        {
            if (_scratch[end] == ' ' && ++taken == words)
                break;
            end++;
        }
        while (end > 0 && char.IsPunctuation(_scratch[end - 1]))
            end--;
        _text.Append(_scratch, 0, end);
    }

    private void WriteNumberTable()
    {
        BeginProse(_text);
        Sentence();
        _text.Append('\n');
        int columns = 4 + _random.Below(4);
        if (_random.Below(2) == 0)
        {
            for (int c = 0; c < columns; c++)
                _text.Append(c == 0 ? "" : "  ").Append(Pick(ColumnNames));
            _text.Append('\n');
        }
        int rows = 12 + _random.Below(29);
        int firstYear = 1990 + _random.Below(20);
        for (int r = 0; r < rows; r++)
        {
            _text.Append((firstYear + r).ToString(CultureInfo.InvariantCulture));
            for (int c = 1; c < columns; c++)
            {
                _text.Append(_random.Below(3) == 0 ? "\t" : "  ");
                AppendNumberCell();
            }
            if (r + 1 < rows)
                _text.Append('\n');
        }
    }

    private void AppendNumberCell()
    {
        switch (_random.Below(5))
        {
            case 0: // 14.52
                _text.Append((1 + _random.Below(99)).ToString(CultureInfo.InvariantCulture)).Append('.')
                     .Append(_random.Below(100).ToString("D2", CultureInfo.InvariantCulture));
                break;
            case 1: // 3,201
                _text.Append((1 + _random.Below(99)).ToString(CultureInfo.InvariantCulture)).Append(',')
                     .Append(_random.Below(1000).ToString("D3", CultureInfo.InvariantCulture));
                break;
            case 2: // 12.5%
                _text.Append(_random.Below(100).ToString(CultureInfo.InvariantCulture)).Append('.')
                     .Append(_random.Below(10).ToString(CultureInfo.InvariantCulture)).Append('%');
                break;
            case 3: // -0.44
                _text.Append('-').Append(_random.Below(10).ToString(CultureInfo.InvariantCulture)).Append('.')
                     .Append(_random.Below(100).ToString("D2", CultureInfo.InvariantCulture));
                break;
            default: // 4417
                _text.Append((100 + _random.Below(9900)).ToString(CultureInfo.InvariantCulture));
                break;
        }
    }

    private void WriteKeywordStuffing()
    {
        int words = 60 + _random.Below(240);
        int lineWords = 0;
        for (int i = 0; i < words; i++)
        {
            if (i > 0)
            {
                if (lineWords >= 8 && _random.Below(6) == 0)
                {
                    _text.Append('\n');
                    lineWords = 0;
                }
                else
                {
                    _text.Append(_random.Below(5) == 0 ? ", " : " ");
                }
            }
            _text.Append(Pick(Keywords));
            lineWords++;
        }
    }

    private void WriteLongTokens()
    {
        BeginProse(_text);
        Sentence();
        Sentence();
        int tokens = 20 + _random.Below(30);
        for (int i = 0; i < tokens; i++)
        {
            _text.Append(i % 3 == 0 ? '\n' : ' ');
            if (_random.Below(2) == 0)
            {
                _text.Append("https://cdn").Append(_random.Below(10).ToString(CultureInfo.InvariantCulture)).Append('.')
                     .Append(Pick(SpamSites)).Append('/');
                AppendRandom(HexDigits, 32);
                _text.Append('/').Append(Pick(Nouns)).Append('-').Append(Pick(Nouns)).Append(".php?id=");
                AppendRandom(HexDigits, 16);
                _text.Append("&ref=");
                AppendRandom(HexDigits, 8);
            }
            else
            {
                AppendRandom(Base64Digits, 40 + _random.Below(80));
                if (_random.Below(3) == 0)
                    _text.Append("==");
            }
        }
    }

    private void AppendRandom(string alphabet, int length)
    {
        for (int i = 0; i < length; i++)
            _text.Append(alphabet[_random.Below(alphabet.Length)]);
    }

    private static int CountWords(string phrase)
    {
        int words = 1;
        foreach (char c in phrase)
        {
            if (c == ' ')
                words++;
        }
        return words;
    }

    // ------------------------------------------------------------------------------------------
    // Prose grammar
    // ------------------------------------------------------------------------------------------

    private void BeginProse(StringBuilder target)
    {
        _target = target;
        _words = 0;
        _needSpace = target.Length > 0 && target[^1] != '\n';
        _capitalize = true;
    }

    private void Word(string word)
    {
        if (_needSpace)
            _target.Append(' ');
        if (_capitalize)
        {
            _target.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            _capitalize = false;
        }
        else
        {
            _target.Append(word);
        }
        _needSpace = true;
        _words += CountWords(word);
    }

    private void TitleWord(string word)
    {
        _capitalize = true;
        Word(word);
    }

    private void Punctuation(char mark) => _target.Append(mark);

    private void Sentence()
    {
        _capitalize = true;
        switch (_random.Below(10))
        {
            case 0:
            case 1:
            case 2:
                Clause();
                break;
            case 3:
                Clause();
                Punctuation(',');
                Word(Pick(Conjunctions));
                Clause();
                break;
            case 4:
                Word(Pick(Subordinators));
                Clause();
                Punctuation(',');
                Clause();
                break;
            case 5:
                Subject();
                Word(Pick(SayingVerbs));
                Word("that");
                Clause();
                break;
            case 6:
                Word("it");
                Word(_random.Below(2) == 0 ? "is" : "was");
                Word(Pick(Adjectives));
                Word("that");
                Clause();
                break;
            case 7:
                Word("there");
                Word("were");
                Word(Pick(Quantities));
                Word(Plural(Pick(Nouns)));
                PrepositionalPhrase();
                break;
            case 8:
                Clause();
                Punctuation(',');
                Word("which");
                VerbPhrase(_random.Below(2) == 0);
                break;
            default:
                Word("why");
                Word("did");
                Subject();
                Word(Pick(TransitiveVerbs).Base);
                NounPhrase();
                Punctuation('?');
                _needSpace = true;
                return;
        }
        Punctuation(_random.Below(40) == 0 ? '!' : '.');
        _needSpace = true;
    }

    private void Clause()
    {
        if (_random.Below(8) == 0)
            Word(Pick(Adverbs));
        VerbPhrase(Subject());
        if (_random.Below(3) == 0)
            PrepositionalPhrase();
    }

    /// <summary>Writes a subject; returns whether it is plural.</summary>
    private bool Subject()
    {
        if (_random.Below(4) != 0)
            return NounPhrase();
        string pronoun = Pick(Pronouns);
        Word(pronoun);
        return pronoun is "they" or "we";
    }

    /// <summary>Writes a noun phrase; returns whether it is plural.</summary>
    private bool NounPhrase()
    {
        switch (_random.Below(8))
        {
            case 0:
            case 1:
                Word("the");
                if (_random.Below(2) == 0)
                    Word(Pick(Adjectives));
                Word(Pick(Nouns));
                return false;
            case 2:
            {
                string adjective = _random.Below(2) == 0 ? Pick(Adjectives) : "";
                string noun = Pick(Nouns);
                string next = adjective.Length > 0 ? adjective : noun;
                Word("aeiou".Contains(next[0], StringComparison.Ordinal) ? "an" : "a");
                if (adjective.Length > 0)
                    Word(adjective);
                Word(noun);
                return false;
            }
            case 3:
                Word(Pick(Determiners));
                Word(Pick(Nouns));
                return false;
            case 4:
                Word("the");
                Word(Pick(Nouns));
                Word("of");
                Word("the");
                Word(Pick(Nouns));
                return false;
            case 5:
                Word(Pick(Quantities));
                if (_random.Below(2) == 0)
                    Word(Pick(Adjectives));
                Word(Plural(Pick(Nouns)));
                return true;
            default:
                Word("the");
                Word(Plural(Pick(Nouns)));
                return true;
        }
    }

    private void VerbPhrase(bool plural)
    {
        switch (_random.Below(7))
        {
            case 0:
            case 1:
            case 2:
                Word(Pick(TransitiveVerbs).Past);
                NounPhrase();
                break;
            case 3:
                Word(Pick(IntransitiveVerbs));
                if (_random.Below(2) == 0)
                    PrepositionalPhrase();
                break;
            case 4:
                Word(_random.Below(2) == 0 ? "had" : plural ? "have" : "has");
                Word("been");
                Word(Pick(TransitiveVerbs).Past);
                if (_random.Below(2) == 0)
                {
                    Word("by");
                    NounPhrase();
                }
                break;
            case 5:
                Word(Pick(IntentionVerbs));
                Word("to");
                Word(Pick(TransitiveVerbs).Base);
                NounPhrase();
                break;
            default:
                Word(plural ? "were" : "was");
                Word(Pick(Adjectives));
                if (_random.Below(3) == 0)
                {
                    Word("and");
                    Word(Pick(Adjectives));
                }
                break;
        }
        if (_random.Below(6) == 0)
            Word(Pick(Adverbs));
    }

    private void PrepositionalPhrase()
    {
        Word(Pick(Prepositions));
        NounPhrase();
    }

    private static string Plural(string noun)
    {
        if (noun.EndsWith('y') && noun.Length > 1 && !"aeiou".Contains(noun[^2], StringComparison.Ordinal))
            return string.Concat(noun.AsSpan(0, noun.Length - 1), "ies");
        if (noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal))
            return noun + "es";
        return noun + "s";
    }

    private T Pick<T>(T[] items) => items[_random.Below(items.Length)];

    // ------------------------------------------------------------------------------------------
    // Vocabulary
    // ------------------------------------------------------------------------------------------

    private readonly record struct Verb(string Base, string Past);

    private static readonly string[] Nouns =
    [
        "river", "village", "teacher", "garden", "market", "engine", "winter", "library", "student", "harbor",
        "forest", "kitchen", "bridge", "window", "company", "season", "mountain", "journey", "museum", "council",
        "farmer", "painter", "doctor", "network", "process", "method", "report", "history", "language", "machine",
        "country", "festival", "island", "highway", "valley", "orchard", "factory", "hospital", "station", "project",
        "problem", "question", "answer", "record", "letter", "camera", "storm", "morning", "evening", "neighbor",
        "family", "recipe", "bakery", "planet", "theory", "experiment", "result", "budget", "program", "device",
        "battery", "signal", "channel", "committee", "election", "policy", "court", "bicycle", "ticket", "schedule",
        "lesson", "chapter", "story", "author", "reader", "audience", "player", "coach", "stadium", "harvest",
        "weather", "climate", "ocean", "coast", "lighthouse", "sailor", "captain", "castle", "tower", "cathedral",
        "painting", "sculpture", "concert", "orchestra", "melody", "violin", "piano", "engineer", "architect", "building",
        "street", "city", "region", "province", "border", "treaty", "merchant", "ship", "cargo", "railway",
        "tunnel", "canal", "reservoir", "meadow", "glacier", "volcano", "desert", "caravan", "café", "résumé",
        "façade", "notebook", "lantern", "workshop", "carpenter", "professor", "survey", "map", "gallery", "cottage",
    ];

    private static readonly string[] Adjectives =
    [
        "old", "new", "quiet", "busy", "small", "large", "ancient", "modern", "careful", "bright",
        "dark", "narrow", "wide", "local", "distant", "famous", "simple", "difficult", "useful", "strange",
        "common", "rare", "early", "late", "heavy", "light", "warm", "cold", "green", "golden",
        "northern", "southern", "eastern", "western", "public", "private", "important", "popular", "patient", "honest",
        "curious", "gentle", "sudden", "steady", "remote", "crowded", "empty", "wooden", "stone", "iron",
        "detailed", "official", "annual", "regular", "traditional", "naïve", "colorful", "fragile", "reliable", "ambitious",
    ];

    private static readonly Verb[] TransitiveVerbs =
    [
        new("visit", "visited"), new("describe", "described"), new("repair", "repaired"), new("study", "studied"),
        new("paint", "painted"), new("open", "opened"), new("change", "changed"), new("measure", "measured"),
        new("explain", "explained"), new("design", "designed"), new("record", "recorded"), new("plan", "planned"),
        new("protect", "protected"), new("improve", "improved"), new("collect", "collected"), new("launch", "launched"),
        new("deliver", "delivered"), new("review", "reviewed"), new("restore", "restored"), new("organize", "organized"),
        new("test", "tested"), new("publish", "published"), new("discuss", "discussed"), new("replace", "replaced"),
        new("support", "supported"), new("follow", "followed"), new("watch", "watched"), new("reach", "reached"),
        new("finish", "finished"), new("cross", "crossed"), new("clean", "cleaned"), new("carry", "carried"),
        new("cover", "covered"), new("move", "moved"), new("manage", "managed"), new("create", "created"),
        new("train", "trained"), new("share", "shared"), new("build", "built"), new("find", "found"),
        new("hold", "held"), new("keep", "kept"), new("sell", "sold"), new("teach", "taught"),
        new("bring", "brought"), new("leave", "left"), new("read", "read"), new("send", "sent"),
    ];

    private static readonly string[] IntransitiveVerbs =
    [
        "arrived", "waited", "stayed", "returned", "grew", "worked", "traveled", "listened", "laughed", "rested",
        "appeared", "changed", "improved", "failed", "succeeded", "continued", "disappeared", "settled", "wandered", "paused",
    ];

    private static readonly string[] IntentionVerbs = ["wanted", "tried", "decided", "hoped", "planned", "promised", "agreed", "needed"];

    private static readonly string[] SayingVerbs = ["said", "believed", "explained", "noted", "argued", "reported", "remembered", "claimed"];

    private static readonly string[] Adverbs =
    [
        "quickly", "slowly", "carefully", "eventually", "quietly", "often", "rarely", "suddenly", "finally", "again",
        "recently", "gradually", "clearly", "certainly", "usually", "later", "soon", "together", "easily", "perhaps",
    ];

    private static readonly string[] Prepositions =
    [
        "in", "near", "behind", "across", "inside", "beyond", "along", "under", "above", "around",
        "through", "toward", "with", "without", "after", "before", "during", "from", "at", "beside", "to", "into",
    ];

    private static readonly string[] Pronouns = ["she", "he", "they", "we", "it", "everyone", "nobody", "someone"];

    private static readonly string[] Determiners = ["our", "their", "this", "that", "every", "each", "his", "her", "my", "your"];

    private static readonly string[] Quantities = ["many", "several", "some", "few", "three", "two", "dozens of", "most of the"];

    private static readonly string[] Conjunctions = ["and", "but", "so", "yet", "and then"];

    private static readonly string[] Subordinators = ["when", "because", "although", "after", "before", "while", "since", "once"];

    private static readonly string[] Sites =
    [
        "www.riverdaily.org", "news.valleypost.com", "blog.quietgarden.net", "www.harborjournal.co.uk", "www.fieldnotes.io",
        "en.openhistory.org", "www.townchronicle.com", "stories.greenmeadow.org", "www.citylibrary.info", "www.mountainreview.net",
    ];

    private static readonly string[] MirrorSites =
    [
        "mirror.contentfarm.biz", "www.reposted-news.com", "archive.scrapedpages.net", "feeds.aggregator.io", "www.copydaily.xyz",
    ];

    private static readonly string[] SpamSites =
    [
        "best-deals-online.biz", "cheap-offers.top", "click4prizes.xyz", "topsearch.info", "megasale-store.shop",
        "linkfarm.club", "portal-directory.net", "freestuff.win",
    ];

    private static readonly string[] Sections = ["news", "blog", "stories", "articles", "travel", "science", "culture", "local", "opinion", "guides"];

    private static readonly string[] Boilerplate =
    [
        "Page not found.", "Return to the homepage.", "All rights reserved.", "Subscribe to our newsletter for weekly updates.",
        "This website uses cookies to improve your experience.", "Accept all cookies", "Log in or sign up to continue.",
        "Copyright 2024 Example Media Group.", "Click here to continue reading.", "Share on Facebook", "Follow us on social media!",
        "Your session has expired. Please log in again.", "JavaScript is disabled in your browser.", "Loading comments",
        "Sorry, this product is out of stock.", "Terms and conditions apply.", "Sign up for free today.",
    ];

    private static readonly string[] BulletMarks = ["•", "-", "*", "▪", "●", "◦", "·", "►"];

    private static readonly string[] MenuHeaders = ["Menu", "Navigation", "Categories", "Quick links", "Site map"];

    private static readonly string[] MenuItems =
    [
        "Home", "About us", "Contact", "Shop", "Careers", "Privacy policy", "Terms of use", "Blog", "FAQ", "Help center",
        "Gift cards", "Store locator", "Press", "Investors", "Newsletter", "Sign in", "Create account", "Shipping information",
        "Returns and exchanges", "Track your order", "New arrivals", "Best sellers", "Sale", "Women", "Men", "Kids",
        "Accessories", "Customer service", "Accessibility", "Cookie settings", "Events", "Partners", "Our team", "Support",
    ];

    private static readonly string[] TagWords =
    [
        "love", "instagood", "photooftheday", "fashion", "beautiful", "happy", "cute", "travel", "style", "follow",
        "nature", "picoftheday", "summer", "art", "food", "fitness", "selfie", "friends", "sunset", "motivation",
        "foodie", "blessed", "vibes", "weekend", "goals", "mood", "tbt", "likeforlike", "followme", "explore",
    ];

    private static readonly string[] ReadMore = ["Read more", "Continue reading", "Full story", "More"];

    private static readonly string[] ColumnNames = ["Year", "Region", "Sales", "Growth", "Share", "Units", "Margin", "Index", "Change", "Total"];

    private static readonly string[] Keywords =
    [
        "cheap", "flights", "hotels", "best", "price", "discount", "deals", "online", "buy", "sale",
        "free", "shipping", "shoes", "replica", "watches", "casino", "bonus", "loans", "insurance", "quotes",
        "london", "paris", "rome", "top", "rated", "reviews", "coupon", "codes", "outlet", "store",
        "luxury", "bags", "wholesale", "fast", "delivery", "guaranteed", "lowest", "rates", "offer", "today",
    ];

    private const string HexDigits = "0123456789abcdef";
    private const string Base64Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>xoshiro256** seeded through SplitMix64: a small, fast generator whose sequence is fixed by definition.</summary>
    private struct Random64
    {
        private ulong _s0, _s1, _s2, _s3;

        public Random64(ulong seed)
        {
            ulong x = seed;
            _s0 = SplitMix(ref x);
            _s1 = SplitMix(ref x);
            _s2 = SplitMix(ref x);
            _s3 = SplitMix(ref x);
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Next()
        {
            ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        /// <summary>Uniform in [0, n) by multiply-shift of the top 32 bits (bias below 2^-32 · n, irrelevant here).</summary>
        public int Below(int n) => (int)(((Next() >> 32) * (ulong)n) >> 32);
    }
}
