using FastBertTokenizer;

namespace Sluice.Text;

/// <summary>
/// BERT WordPiece tokenization over a <c>vocab.txt</c> (one token a line; CRLF or LF), through FastBertTokenizer:
/// lower-casing and accent stripping for uncased vocabularies, [CLS] first, [SEP] last, truncated to the span it
/// writes into. Ids go straight into the caller's int64 spans (a model's input buffers). Not thread-safe: one per worker.
/// </summary>
public sealed class WordPieceTokenizer
{
    private readonly BertTokenizer _tokenizer = new();

    private WordPieceTokenizer(string path) => Path = path;

    /// <summary>The vocabulary file.</summary>
    public string Path { get; }

    /// <summary>Loads <paramref name="vocabPath"/>; <paramref name="lowercase"/> for uncased models (all-MiniLM-L6-v2, bert-base-uncased).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is no WordPiece vocabulary (its special tokens are missing).</exception>
    public static WordPieceTokenizer Load(string vocabPath, bool lowercase = true)
    {
        if (!File.Exists(vocabPath))
            throw new FileNotFoundException($"WordPiece vocabulary '{vocabPath}' does not exist (full path: {System.IO.Path.GetFullPath(vocabPath)}).", vocabPath);
        var t = new WordPieceTokenizer(vocabPath);
        using var reader = new StreamReader(vocabPath);
        try { t._tokenizer.LoadVocabulary(reader, lowercase); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            throw new InvalidDataException($"'{vocabPath}' is not a WordPiece vocabulary: {e.Message}", e);
        }
        return t;
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/> into <paramref name="ids"/> and sets <paramref name="mask"/> to 1 for each token;
    /// at most <c>ids.Length</c> tokens (the last one [SEP]). Returns how many were written; the rest of both spans is
    /// padding (0).
    /// </summary>
    public int Encode(string text, Span<long> ids, Span<long> mask)
    {
        if (ids.Length < 2) throw new ArgumentException("At least two tokens ([CLS] and [SEP]) must fit.", nameof(ids));
        if (mask.Length < ids.Length) throw new ArgumentException($"The mask holds {mask.Length} values; the ids {ids.Length}.", nameof(mask));
        // FastBertTokenizer counts the padding it writes as produced tokens: pad here instead.
        int n = _tokenizer.Encode(text, ids, mask[..ids.Length], padTo: null);
        ids[n..].Clear();
        mask[n..ids.Length].Clear();
        return n;
    }

    /// <summary>The tokens of <paramref name="text"/> as ids, at most <paramref name="maxTokens"/> (a test and debugging convenience).</summary>
    public long[] Encode(string text, int maxTokens = 512)
    {
        var ids = new long[maxTokens];
        var mask = new long[maxTokens];
        int n = Encode(text, ids, mask);
        return ids[..n];
    }
}
