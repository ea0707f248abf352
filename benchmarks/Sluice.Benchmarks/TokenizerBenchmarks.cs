using BenchmarkDotNet.Attributes;
using Sluice.Documents;
using Sluice.Text;

namespace Sluice.Benchmarks;

/// <summary>
/// Tokenization of real chunks (the first 40 PDFs of data/pdf/texlive-latex-base-doc, pages split 2,048/200: about 1,000
/// chunks of up to 2,048 characters), 256 tokens at most as the pipeline tokenizes them. Baseline: FastBertTokenizer
/// alone, called as its documentation shows, into the same spans; beside it Sluice's WordPieceTokenizer (FastBertTokenizer
/// plus its own padding) and the peer a .NET user would also try, Microsoft.ML.Tokenizers' BertTokenizer.
/// One operation is the whole set of chunks.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private string[] _chunks = [];
    private readonly long[] _ids = new long[256];
    private readonly long[] _mask = new long[256];
    private FastBertTokenizer.BertTokenizer _fast = null!;
    private WordPieceTokenizer _sluice = null!;
    private Microsoft.ML.Tokenizers.BertTokenizer _ml = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pipelines.sln"))) root = Path.GetDirectoryName(root)!;
        string vocab = Path.Combine(root, "models", "all-MiniLM-L6-v2", "vocab.txt");
        var chunks = new List<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "data", "pdf", "texlive-latex-base-doc"), "*.pdf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(40))
        {
            using var pdf = Pdf.Open(File.ReadAllBytes(path), path, new PdfOptions { MaxPages = 0 });
            foreach (var page in pdf.Pages().Take(30)) chunks.AddRange(TextSplitter.Default.Split(page.Text).Select(c => c.Text));
        }
        _chunks = chunks.ToArray();
        _fast = new FastBertTokenizer.BertTokenizer();
        using (var reader = new StreamReader(vocab)) _fast.LoadVocabulary(reader, convertInputToLowercase: true);
        _sluice = WordPieceTokenizer.Load(vocab);
        _ml = Microsoft.ML.Tokenizers.BertTokenizer.Create(vocab, new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true });
        Console.WriteLine($"// {_chunks.Length:N0} chunks, {_chunks.Sum(c => (long)c.Length):N0} characters");
    }

    [Benchmark(Baseline = true)]
    public long FastBertTokenizerAlone()
    {
        long tokens = 0;
        foreach (var chunk in _chunks) tokens += _fast.Encode(chunk, _ids, _mask, padTo: null);
        return tokens;
    }

    [Benchmark]
    public long SluiceWordPiece()
    {
        long tokens = 0;
        foreach (var chunk in _chunks) tokens += _sluice.Encode(chunk, _ids, _mask);
        return tokens;
    }

    [Benchmark]
    public long MicrosoftMlTokenizers()
    {
        long tokens = 0;
        foreach (var chunk in _chunks) tokens += _ml.EncodeToIds(chunk, 256, out _, out _).Count;
        return tokens;
    }
}
