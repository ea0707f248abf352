namespace Sluice.Text;

/// <summary>One chunk of a text: its place among the text's chunks (from 0), where it starts and how long it is (in chars), and the chunk.</summary>
public sealed record TextChunk(int Index, int Start, int Length, string Text);

/// <summary>
/// A recursive character splitter (the splitter LangChain calls RecursiveCharacterTextSplitter): a text is cut at the
/// first separator of <see cref="Separators"/> it contains (paragraph, line, sentence, word by default); pieces still
/// longer than <see cref="ChunkSize"/> are cut again at the next separator, down to single characters; then neighbouring
/// pieces are merged back into chunks of at most <see cref="ChunkSize"/> characters, each starting with up to
/// <see cref="Overlap"/> characters of the one before.
/// <para>
/// Unlike LangChain, a separator stays at the end of the piece before it (a sentence keeps its full stop, not the next
/// sentence), so every chunk is one contiguous, trimmed span of the text: <see cref="TextChunk.Start"/> and
/// <see cref="TextChunk.Length"/> locate it exactly. The splitter works on offsets and allocates only the chunks' strings.
/// </para>
/// </summary>
public sealed class TextSplitter
{
    /// <summary>Paragraph, line, sentence, word: the default separators, tried in this order.</summary>
    public static readonly IReadOnlyList<string> DefaultSeparators = ["\n\n", "\n", ". ", " "];

    /// <summary>The splitter the document workload uses: 2,048 characters with 200 of overlap.</summary>
    public static TextSplitter Default { get; } = new(2048, 200);

    private readonly string[] _separators;

    /// <summary>Makes a splitter of chunks of at most <paramref name="chunkSize"/> chars, <paramref name="overlap"/> of them shared with the chunk before.</summary>
    public TextSplitter(int chunkSize, int overlap, IReadOnlyList<string>? separators = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        if (overlap >= chunkSize) throw new ArgumentOutOfRangeException(nameof(overlap), $"The overlap ({overlap}) must be smaller than the chunk size ({chunkSize}).");
        _separators = (separators ?? DefaultSeparators).ToArray();
        if (_separators.Any(string.IsNullOrEmpty)) throw new ArgumentException("A separator cannot be empty (single characters are always the last resort).", nameof(separators));
        ChunkSize = chunkSize;
        Overlap = overlap;
        _run = overlap == 0 ? chunkSize : (int)System.Numerics.BigInteger.GreatestCommonDivisor(chunkSize, overlap);
    }

    private readonly int _run;

    /// <summary>The most characters in one chunk.</summary>
    public int ChunkSize { get; }

    /// <summary>How many characters a chunk shares, at most, with the chunk before.</summary>
    public int Overlap { get; }

    /// <summary>The separators, coarsest first.</summary>
    public IReadOnlyList<string> Separators => _separators;

    /// <summary>The chunks of <paramref name="text"/>, in order (none for a blank text).</summary>
    public List<TextChunk> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chunks = new List<TextChunk>();
        var pieces = new List<(int Start, int End)>();
        Cut(text, 0, text.Length, 0, pieces);
        Merge(text, pieces, chunks);
        return chunks;
    }

    /// <summary>The number of chunks <see cref="Split"/> makes, without making their strings.</summary>
    public int Count(string text)
    {
        var pieces = new List<(int Start, int End)>();
        Cut(text, 0, text.Length, 0, pieces);
        int count = 0;
        Merge(text, pieces, null, ref count);
        return count;
    }

    // Cuts [start, end) into pieces no longer than ChunkSize: at the first separator (from `level` on) the span
    // contains, each piece ending just after its separator; too-long pieces are cut again at the next separator.
    private void Cut(string text, int start, int end, int level, List<(int, int)> pieces)
    {
        if (end - start <= ChunkSize) { pieces.Add((start, end)); return; }
        int found = -1;
        for (int i = level; i < _separators.Length; i++)
        {
            if (text.AsSpan(start, end - start).Contains(_separators[i], StringComparison.Ordinal)) { found = i; break; }
        }
        if (found < 0)
        {
            // No separator left: single characters, the last resort. Runs of gcd(ChunkSize, Overlap) characters merge
            // exactly as single characters would (every chunk and every overlap is a whole number of runs) with far
            // fewer pieces: 8 characters a piece for 2,048 and 200.
            for (int i = start; i < end; i += _run) pieces.Add((i, Math.Min(end, i + _run)));
            return;
        }
        string separator = _separators[found];
        int pieceStart = start;
        while (pieceStart < end)
        {
            int at = text.AsSpan(pieceStart, end - pieceStart).IndexOf(separator, StringComparison.Ordinal);
            int pieceEnd = at < 0 ? end : pieceStart + at + separator.Length;
            if (pieceEnd - pieceStart <= ChunkSize) pieces.Add((pieceStart, pieceEnd));
            else Cut(text, pieceStart, pieceEnd, found + 1, pieces);
            pieceStart = pieceEnd;
        }
    }

    private void Merge(string text, List<(int Start, int End)> pieces, List<TextChunk> chunks)
    {
        int count = 0;
        Merge(text, pieces, chunks, ref count);
    }

    // Greedy merge over contiguous pieces: a chunk grows while it fits in ChunkSize; the next chunk starts with the
    // last pieces of the one before that fit in Overlap (and leave room for the piece that did not fit).
    private void Merge(string text, List<(int Start, int End)> pieces, List<TextChunk>? chunks, ref int count)
    {
        int first = 0; // the window is pieces[first..i), all contiguous
        int total = 0;
        for (int i = 0; i < pieces.Count; i++)
        {
            int length = pieces[i].End - pieces[i].Start;
            if (total + length > ChunkSize && i > first)
            {
                Emit(text, pieces[first].Start, pieces[i - 1].End, chunks, ref count);
                while (first < i && (total > Overlap || total + length > ChunkSize))
                {
                    total -= pieces[first].End - pieces[first].Start;
                    first++;
                }
            }
            total += length;
        }
        if (first < pieces.Count) Emit(text, pieces[first].Start, pieces[^1].End, chunks, ref count);
    }

    private static void Emit(string text, int start, int end, List<TextChunk>? chunks, ref int count)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end <= start) return;
        chunks?.Add(new TextChunk(count, start, end - start, text.Substring(start, end - start)));
        count++;
    }
}
