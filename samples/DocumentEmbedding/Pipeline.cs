using Sluice;
using Sluice.Documents;
using Sluice.Onnx;
using Sluice.Text;

namespace DocumentEmbedding;

/// <summary>One manifest row: a PDF's URL or path (relative paths resolve against <c>--set root=DIR</c>).</summary>
public sealed record DocumentRef(string Url);

/// <summary>One chunk of one page: where it comes from, its text, and its all-MiniLM-L6-v2 embedding (unit length).</summary>
public sealed record ChunkRow(string Url, int Page, int Chunk, int Start, string Text, [property: FixedSize(384)] float[] Embedding);

/// <summary>Where documents come from: the downloader and the folder relative paths resolve against.</summary>
public sealed class DocumentStore(Downloader http, string root) : IDisposable
{
    /// <summary>Fetches one document's bytes into pooled, budget-counted memory.</summary>
    public ValueTask<Blob> GetAsync(string url, CancellationToken ct) =>
        http.GetAsync(url.Contains("://", StringComparison.Ordinal) || Path.IsPathRooted(url) ? url : Path.Combine(root, url), ct);

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => http.Dispose();
}

/// <summary>What <see cref="EmbedDocuments"/> and <see cref="ExtractPages"/> share: their resources from the settings, and the page stages.</summary>
public static class DocumentStages
{
    /// <summary>The document store from <c>--set root=DIR</c> (default: the current folder).</summary>
    public static DocumentStore Store(PipelineContext ctx) => new(new Downloader(ctx), ctx.Options.Get("root", Directory.GetCurrentDirectory()));

    /// <summary>The limits from <c>--set max-pages=N pdf-timeout=SECONDS engine=Auto|MuPdf|PdfPig</c>.</summary>
    public static PdfOptions Limits(PipelineContext ctx) => new()
    {
        MaxPages = ctx.Options.Get("max-pages", 100),
        Timeout = TimeSpan.FromSeconds(ctx.Options.Get("pdf-timeout", 60.0)),
        Engine = Enum.Parse<PdfEngine>(ctx.Options.Get("engine", "Auto"), ignoreCase: true),
    };

    /// <summary>Opens the document from its bytes in place and yields its pages; a page that fails comes with its error.</summary>
    public static IEnumerable<PdfPage> Pages(Blob bytes, string url, PdfOptions limits) => Pdf.ReadPages(bytes.Memory, url, limits);
}

/// <summary>
/// The published document embedding workload: download, text page by page (documents over 100 pages are refused, as
/// the published benchmark skipped them), pages exploded, each page split into chunks (recursive character splitter,
/// 2,048 characters with 200 of overlap), chunks embedded with all-MiniLM-L6-v2 in length-bucketed batches, Parquet out.
/// A document that cannot be fetched or opened fails its row; a page that cannot be read fails only its own row.
/// Settings (<c>--set key=value</c>): root, model (default models/all-MiniLM-L6-v2), max-pages (100), pdf-timeout
/// (seconds, 60), engine (Auto), chunk-size (2048), chunk-overlap (200), model-batch (texts per model run, 16: as fast as 32 on 2 cores and 200 MB less resident, docs/documents.md), bucketing (true),
/// threads (ONNX Runtime's, default the workers), arena (ONNX Runtime's CPU memory arena, true), spin (false).
/// </summary>
[Pipeline(typeof(DocumentRef), typeof(ChunkRow))]
public static partial class EmbedDocuments
{
    /// <summary>Chunks one batch stage call receives: the window length bucketing sorts within.</summary>
    public const int Window = 256;

    /// <summary>Token and padding counts of every embedder of the process (the run's summary prints them).</summary>
    public static PaddingStats Padding { get; } = new();

    /// <summary>The embedder's settings from the pipeline's.</summary>
    public static SentenceEmbedderOptions ModelOptions(PipelineOptions options, Device device) => new()
    {
        BatchSize = options.Get("model-batch", 16),
        Bucketing = options.Get("bucketing", true),
        Padding = Padding,
        Session = new OnnxSessionOptions
        {
            Device = device,
            IntraOpThreads = options.Get("threads", options.Workers),
            Spinning = options.Get("spin", false),
            CpuMemoryArena = options.Get("arena", true),
            MemoryPattern = false,
        },
    };

    [Resource] static DocumentStore Store(PipelineContext ctx) => DocumentStages.Store(ctx);
    [Resource] static PdfOptions Limits(PipelineContext ctx) => DocumentStages.Limits(ctx);

    [Resource] static TextSplitter Splitter(PipelineContext ctx) =>
        new(ctx.Options.Get("chunk-size", 2048), ctx.Options.Get("chunk-overlap", 200));

    [Resource] static SentenceEmbedder Model(PipelineContext ctx)
    {
        var embedder = SentenceEmbedder.Load(ctx.Options.Get("model", "models/all-MiniLM-L6-v2"), ModelOptions(ctx.Options, ctx.Device));
        if (embedder.Session.Notice is not null) Console.Error.WriteLine($"notice: {embedder.Session.Notice}");
        return embedder;
    }

    [Stage(MaxConcurrency = 16)]
    static ValueTask<Blob> Bytes(string url, DocumentStore store, CancellationToken ct) => store.GetAsync(url, ct);

    // Opens the document from its bytes in place and yields its pages; a page that fails comes with its error.
    [Explode] static IEnumerable<PdfPage> PageText(Blob bytes, string url, PdfOptions limits) => DocumentStages.Pages(bytes, url, limits);

    [Stage] static int Page(PdfPage pageText) => pageText.Number;

    // A page that could not be read fails here, its own row, naming the document and the page.
    [Stage] static string Body(PdfPage pageText) => pageText.ThrowIfFailed();

    [Explode] static void Piece(string body, TextSplitter splitter, RowEmitter<TextChunk> emit)
    {
        foreach (var chunk in splitter.Split(body)) emit.Emit(chunk);
    }

    [Stage] static int Chunk(TextChunk piece) => piece.Index;
    [Stage] static int Start(TextChunk piece) => piece.Start;
    [Stage] static string Text(TextChunk piece) => piece.Text;

    // Tokens go into the embedder's int64 input buffers; the window is sorted by token count into model batches.
    [Stage(BatchSize = Window, Device = Device.Gpu)]
    static void Embed(ReadOnlySpan<string> text, Span<float[]> embedding, SentenceEmbedder model) => model.Embed(text, embedding);
}

/// <summary>A chunk and its cosine similarity to a query.</summary>
public sealed record ScoredChunk(string Url, int Page, int Chunk, string Text, float Score);

/// <summary>The query's embedding, made once before the run (<see cref="ScoreChunks"/>).</summary>
public sealed class QueryVector(float[] values)
{
    /// <summary>The unit-length embedding.</summary>
    public float[] Values { get; } = values;

    /// <summary>Set by the query command before it runs <see cref="ScoreChunks"/>.</summary>
    internal static QueryVector? Current { get; set; }
}

/// <summary>Scores every chunk of an embedded corpus against a query (reads url, page, chunk, text and embedding only).</summary>
[Pipeline(typeof(ChunkRow), typeof(ScoredChunk))]
public static partial class ScoreChunks
{
    [Resource] static QueryVector Query() => QueryVector.Current ?? throw new InvalidOperationException("No query was embedded before the run.");

    [Stage] static float Score(float[] embedding, QueryVector query) => Vectors.Cosine(embedding, query.Values);
}

/// <summary>One page's text.</summary>
public sealed record PageRow(string Url, int Page, string Body);

/// <summary>The first half of <see cref="EmbedDocuments"/> alone: read and extract text page by page (the extraction benchmark).</summary>
[Pipeline(typeof(DocumentRef), typeof(PageRow))]
public static partial class ExtractPages
{
    [Resource] static DocumentStore Store(PipelineContext ctx) => DocumentStages.Store(ctx);
    [Resource] static PdfOptions Limits(PipelineContext ctx) => DocumentStages.Limits(ctx);

    [Stage(MaxConcurrency = 16)]
    static ValueTask<Blob> Bytes(string url, DocumentStore store, CancellationToken ct) => store.GetAsync(url, ct);

    [Explode] static IEnumerable<PdfPage> PageText(Blob bytes, string url, PdfOptions limits) => DocumentStages.Pages(bytes, url, limits);

    [Stage] static int Page(PdfPage pageText) => pageText.Number;

    [Stage] static string Body(PdfPage pageText) => pageText.ThrowIfFailed();
}
