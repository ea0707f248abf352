using Sluice.Onnx;

namespace Sluice.Text;

/// <summary>How a <see cref="SentenceEmbedder"/> tokenizes and batches.</summary>
public sealed record SentenceEmbedderOptions
{
    /// <summary>The most tokens of one text, [CLS] and [SEP] included; longer texts are truncated (default 256, all-MiniLM-L6-v2's limit).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Texts in one model run (default 32).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Length bucketing (default on): the texts of one <see cref="SentenceEmbedder.Embed(ReadOnlySpan{string}, Span{float[]})"/>
    /// call (the window) are sorted by token count before they are cut into model batches, so a batch pads to its own
    /// longest text instead of to the longest of texts that merely arrived together. The results keep the callers' order.
    /// </summary>
    public bool Bucketing { get; init; } = true;

    /// <summary>Lower-case before tokenizing (uncased vocabularies; default true).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>The ONNX Runtime session's settings.</summary>
    public OnnxSessionOptions Session { get; init; } = new();

    /// <summary>Where the embedder counts tokens and padding (null: its own; pass one to several embedders to add theirs up).</summary>
    public PaddingStats? Padding { get; init; }
}

/// <summary>Token counts: the real tokens embedded, the positions the model ran (real plus padding), and the positions it would have run without bucketing.</summary>
public sealed class PaddingStats
{
    private long _real, _positions, _unbucketed, _texts, _batches;

    /// <summary>Texts embedded.</summary>
    public long Texts => Interlocked.Read(ref _texts);
    /// <summary>Model runs.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Tokens of the texts themselves.</summary>
    public long RealTokens => Interlocked.Read(ref _real);
    /// <summary>Positions the model ran: every batch's size times its longest text.</summary>
    public long Positions => Interlocked.Read(ref _positions);
    /// <summary>Positions the same windows would have run in arrival order (no bucketing).</summary>
    public long PositionsWithoutBucketing => Interlocked.Read(ref _unbucketed);
    /// <summary>Padding over real tokens as run (0: none).</summary>
    public double Waste => RealTokens == 0 ? 0 : (double)(Positions - RealTokens) / RealTokens;
    /// <summary>Padding over real tokens had the windows run in arrival order.</summary>
    public double WasteWithoutBucketing => RealTokens == 0 ? 0 : (double)(PositionsWithoutBucketing - RealTokens) / RealTokens;

    internal void Add(long texts, long batches, long real, long positions, long unbucketed)
    {
        Interlocked.Add(ref _texts, texts);
        Interlocked.Add(ref _batches, batches);
        Interlocked.Add(ref _real, real);
        Interlocked.Add(ref _positions, positions);
        Interlocked.Add(ref _unbucketed, unbucketed);
    }

    /// <summary>One line for a run's summary.</summary>
    public override string ToString() =>
        $"{Texts:N0} texts in {Batches:N0} batches, {RealTokens:N0} tokens; padding {Waste:P1} of the tokens " +
        $"(without length bucketing {WasteWithoutBucketing:P1})";
}

/// <summary>
/// Sentence embeddings from a BERT-style encoder in ONNX (inputs input_ids, attention_mask, token_type_ids as int64;
/// first output the token states [batch, tokens, dimension]), as sentence-transformers computes them: mean pooling over
/// the attention mask, then L2 normalization. all-MiniLM-L6-v2 gives 384 floats. One per batch worker: not thread-safe.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    private readonly WordPieceTokenizer _tokenizer;
    private readonly OnnxSession _session;
    private readonly bool _ownsSession;
    private readonly int[] _inputOrder; // for each model input: 0 ids, 1 mask, 2 token types
    private long[] _scratch = [];       // where texts are tokenized to be counted
    private int[] _counts = [];
    private int[] _order = [];
    private long[] _ids = [], _mask = [], _types = [];
    private float[] _hidden = [];

    private SentenceEmbedder(WordPieceTokenizer tokenizer, OnnxSession session, bool ownsSession, SentenceEmbedderOptions options)
    {
        _tokenizer = tokenizer;
        _session = session;
        _ownsSession = ownsSession;
        Options = options;
        Padding = options.Padding ?? new PaddingStats();
        _inputOrder = new int[session.InputNames.Count];
        for (int i = 0; i < _inputOrder.Length; i++)
        {
            _inputOrder[i] = session.InputNames[i] switch
            {
                "input_ids" => 0,
                "attention_mask" => 1,
                "token_type_ids" => 2,
                var other => throw new OnnxModelException($"'{session.Path}' has an input '{other}'; a sentence encoder takes input_ids, attention_mask and token_type_ids."),
            };
        }
        if (!_inputOrder.Contains(0) || !_inputOrder.Contains(1))
            throw new OnnxModelException($"'{session.Path}' needs inputs input_ids and attention_mask; it has {string.Join(", ", session.InputNames)}.");
        var output = session.OutputShape(0);
        if (output.Length != 3 || output[2] <= 0)
            throw new OnnxModelException($"'{session.Path}': its first output '{session.OutputNames[0]}' is [{string.Join(", ", output)}]; a sentence encoder's is [batch, tokens, dimension].");
        Dimension = checked((int)output[2]);
    }

    /// <summary>Loads <c>model.onnx</c> and <c>vocab.txt</c> from <paramref name="directory"/> (what scripts/setup-documents.sh extracts into models/all-MiniLM-L6-v2).</summary>
    public static SentenceEmbedder Load(string directory, SentenceEmbedderOptions? options = null) =>
        Load(Path.Combine(directory, "model.onnx"), Path.Combine(directory, "vocab.txt"), options);

    /// <summary>Loads the model and vocabulary from their files.</summary>
    public static SentenceEmbedder Load(string modelPath, string vocabPath, SentenceEmbedderOptions? options = null)
    {
        options ??= new SentenceEmbedderOptions();
        Validate(options);
        var tokenizer = WordPieceTokenizer.Load(vocabPath, options.Lowercase);
        var session = OnnxSession.Load(modelPath, options.Session);
        try { return new SentenceEmbedder(tokenizer, session, ownsSession: true, options); }
        catch { session.Dispose(); throw; }
    }

    /// <summary>Over a session of the caller's (not disposed with this).</summary>
    public static SentenceEmbedder Create(OnnxSession session, WordPieceTokenizer tokenizer, SentenceEmbedderOptions? options = null)
    {
        options ??= new SentenceEmbedderOptions();
        Validate(options);
        return new SentenceEmbedder(tokenizer, session, ownsSession: false, options);
    }

    private static void Validate(SentenceEmbedderOptions o)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(o.MaxTokens, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.BatchSize, 1);
    }

    /// <summary>The settings.</summary>
    public SentenceEmbedderOptions Options { get; }

    /// <summary>Floats in one embedding.</summary>
    public int Dimension { get; }

    /// <summary>The model's session.</summary>
    public OnnxSession Session => _session;

    /// <summary>Token and padding counts of every call so far.</summary>
    public PaddingStats Padding { get; }

    /// <summary>The embedding of one text.</summary>
    public float[] Embed(string text)
    {
        var result = new float[1][];
        Embed([text], result);
        return result[0];
    }

    /// <summary>
    /// Embeds <paramref name="texts"/> (one window) into <paramref name="embeddings"/> (new arrays of
    /// <see cref="Dimension"/> floats, unit length), in the same order.
    /// </summary>
    public void Embed(ReadOnlySpan<string> texts, Span<float[]> embeddings)
    {
        int n = texts.Length;
        if (embeddings.Length < n) throw new ArgumentException($"{n} texts need {n} embedding slots, not {embeddings.Length}.", nameof(embeddings));
        if (n == 0) return;
        int maxTokens = Options.MaxTokens, batchSize = Options.BatchSize;
        Grow(ref _counts, n);
        Grow(ref _order, n);
        // Count every text's tokens (tokenizing is about 16 µs a chunk, the model about 40 ms: counting first costs
        // nothing measurable and lets each text be tokenized again straight into its batch row below).
        Grow(ref _scratch, 2 * maxTokens);
        for (int i = 0; i < n; i++)
        {
            _counts[i] = _tokenizer.Encode(texts[i] ?? "", _scratch.AsSpan(0, maxTokens), _scratch.AsSpan(maxTokens, maxTokens));
            _order[i] = i;
        }
        long real = 0, unbucketed = 0;
        for (int i = 0; i < n; i++) real += _counts[i];
        for (int b = 0; b < n; b += batchSize)
        {
            int size = Math.Min(batchSize, n - b), longest = 0;
            for (int i = b; i < b + size; i++) longest = Math.Max(longest, _counts[i]);
            unbucketed += (long)size * longest;
        }
        if (Options.Bucketing)
        {
            var counts = _counts;
            Array.Sort(_order, 0, n, Comparer<int>.Create((x, y) => counts[x] != counts[y] ? counts[x].CompareTo(counts[y]) : x.CompareTo(y)));
        }
        long positions = 0, batches = 0;
        for (int b = 0; b < n; b += batchSize)
        {
            int size = Math.Min(batchSize, n - b);
            positions += RunBatch(texts, _order.AsSpan(b, size), embeddings);
            batches++;
        }
        Padding.Add(n, batches, real, positions, unbucketed);
    }

    // Tokenizes the texts `rows` (indexes into the window) straight into the [size, longest] input buffers (ids and
    // mask), runs the model, pools each row.
    private long RunBatch(ReadOnlySpan<string> texts, ReadOnlySpan<int> rows, Span<float[]> embeddings)
    {
        int size = rows.Length, longest = 0;
        foreach (int r in rows) longest = Math.Max(longest, _counts[r]);
        int cells = size * longest;
        Grow(ref _ids, cells);
        Grow(ref _mask, cells);
        Grow(ref _types, cells);
        Grow(ref _hidden, cells * Dimension);
        for (int k = 0; k < size; k++)
        {
            int count = _tokenizer.Encode(texts[rows[k]] ?? "", _ids.AsSpan(k * longest, longest), _mask.AsSpan(k * longest, longest));
            if (count != _counts[rows[k]])
                throw new InvalidOperationException($"Text {rows[k]} tokenized to {count} tokens, then to {_counts[rows[k]]}: the tokenizer is not deterministic.");
        }
        _types.AsSpan(0, cells).Clear();
        var inputs = new ReadOnlyMemory<long>[_inputOrder.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = _inputOrder[i] switch
            {
                0 => _ids.AsMemory(0, cells),
                1 => _mask.AsMemory(0, cells),
                _ => _types.AsMemory(0, cells),
            };
        }
        var hidden = _hidden.AsSpan(0, cells * Dimension);
        _session.RunInt64(inputs, [size, longest], hidden, [size, longest, Dimension]);
        for (int k = 0; k < size; k++)
        {
            var embedding = new float[Dimension];
            Postprocess.MeanPool(hidden.Slice(k * longest * Dimension, longest * Dimension), _mask.AsSpan(k * longest, longest), embedding);
            Postprocess.L2Normalize(embedding);
            embeddings[rows[k]] = embedding;
        }
        return cells;
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Releases the session when this embedder loaded it.</summary>
    public void Dispose()
    {
        if (_ownsSession) _session.Dispose();
    }
}
