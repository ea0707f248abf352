using System.Diagnostics;
using System.Globalization;
using DocumentEmbedding;
using Sluice;
using Sluice.Text;

// `DocumentEmbedding make-corpus --out DIR [--source DIR] [--count N] [--damaged K] [--seed S]` writes DIR/manifest.jsonl.
if (args.Length > 0 && args[0] == "make-corpus")
{
    if (Options.Parse(args, ["--out", "--source", "--count", "--damaged", "--seed"], required: "--out") is not { } o) return 2;
    var defaults = new CorpusOptions { Output = o["--out"] };
    var options = defaults with
    {
        Source = o.GetValueOrDefault("--source", defaults.Source),
        Count = Options.Int(o, "--count", defaults.Count),
        Damaged = Options.Int(o, "--damaged", defaults.Damaged),
        Seed = Options.Int(o, "--seed", defaults.Seed),
    };
    var (urls, distinct) = CorpusBuilder.Build(options);
    Console.Error.WriteLine($"wrote {urls.Count:N0} rows ({options.Count:N0} real PDFs of {distinct:N0} distinct in {options.Source}" +
        $"{(options.Count > distinct ? ", repeated" : "")}; {urls.Count - options.Count} damaged) to {Path.Combine(options.Output, CorpusBuilder.ManifestName)}");
    return 0;
}

// `DocumentEmbedding query --index PATH_OR_GLOB --text "..." [--k 5] [--model DIR]`: the chunks closest to a sentence.
if (args.Length > 0 && args[0] == "query")
{
    if (Options.Parse(args, ["--index", "--text", "--k", "--model"], required: "--index") is not { } o) return 2;
    if (!o.TryGetValue("--text", out var text)) { Console.Error.WriteLine("error: --text \"...\" is required"); return 2; }
    int k = Options.Int(o, "--k", 5);
    var clock = Stopwatch.StartNew();
    using (var embedder = SentenceEmbedder.Load(o.GetValueOrDefault("--model", "models/all-MiniLM-L6-v2")))
        QueryVector.Current = new QueryVector(embedder.Embed(text));
    string index = o["--index"];
    if (Directory.Exists(index)) index = Path.Combine(index, "*.parquet");
    var top = new TopK<ScoredChunk>(k);
    long scored = 0;
    await ScoreChunks.Create().RunAsync(Source.Parquet<ChunkRow>(index), Sink.To<ScoredChunk>(rows =>
    {
        lock (top)
        {
            foreach (var row in rows) top.Add(row.Score, row);
            scored += rows.Length;
        }
    }));
    Console.Error.WriteLine($"scored {scored:N0} chunks in {clock.Elapsed.TotalSeconds:N2} s");
    int rank = 1;
    foreach (var (chunk, score) in top.Results())
    {
        string excerpt = string.Join(' ', chunk.Text.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        if (excerpt.Length > 240) excerpt = excerpt[..240] + "...";
        Console.WriteLine($"{rank++}. {score:F4}  {chunk.Url} page {chunk.Page} chunk {chunk.Chunk}");
        Console.WriteLine($"   {excerpt}");
    }
    return 0;
}

// `DocumentEmbedding bench-ort --chunks FILE [--threads T] [--model-batch B] [--bucketing BOOL] [--model DIR]`: ONNX Runtime
// alone on the same chunks in the same batches, the end-to-end benchmark's bound.
if (args.Length > 0 && args[0] == "bench-ort")
{
    if (Options.Parse(args, ["--chunks", "--threads", "--model-batch", "--bucketing", "--model"], required: "--chunks") is not { } o) return 2;
    var defaults = new InferenceBaselineOptions { Chunks = o["--chunks"] };
    await InferenceBaseline.Run(defaults with
    {
        Threads = Options.Int(o, "--threads", defaults.Threads),
        BatchSize = Options.Int(o, "--model-batch", defaults.BatchSize),
        Bucketing = o.TryGetValue("--bucketing", out var b) ? bool.Parse(b) : defaults.Bucketing,
        Model = o.GetValueOrDefault("--model", defaults.Model),
    }, Console.Out);
    return 0;
}

// `DocumentEmbedding extract --input MANIFEST [--workers N] [--engine MuPdf|PdfPig] [--max-pages N] [--morsel ROWS]`: text extraction
// alone (the extraction benchmark): pages/s and characters, no output.
if (args.Length > 0 && args[0] == "extract")
{
    if (Options.Parse(args, ["--input", "--workers", "--engine", "--max-pages", "--morsel"], required: "--input") is not { } o) return 2;
    var options = new PipelineOptions { Workers = Options.Int(o, "--workers", Environment.ProcessorCount), DeadLetterPath = null, MorselSize = Options.Int(o, "--morsel", 1024) };
    options.Settings["engine"] = o.GetValueOrDefault("--engine", "Auto");
    options.Settings["max-pages"] = o.GetValueOrDefault("--max-pages", "100");
    long pages = 0, chars = 0;
    var clock = Stopwatch.StartNew();
    var result = await ExtractPages.Create(options).RunAsync(Source.JsonLines<DocumentRef>(o["--input"]), Sink.To<PageRow>(rows =>
    {
        long c = 0;
        foreach (var r in rows) c += r.Body.Length;
        Interlocked.Add(ref pages, rows.Length);
        Interlocked.Add(ref chars, c);
    }));
    clock.Stop();
    Console.WriteLine($"sluice ({options.Settings["engine"]}, {options.Workers} workers): {pages:N0} pages, {chars:N0} chars, {clock.Elapsed.TotalSeconds:N2} s, {pages / clock.Elapsed.TotalSeconds:N0} pages/s");
    return 0;
}

// Anything else is the pipeline's standard command line (docs/cli.md), e.g.
//   DocumentEmbedding --input data/docs/manifest.jsonl --output data/docs/chunks/
int code = await EmbedDocuments.RunAsync(args);
if (EmbedDocuments.Padding.Texts > 0) Console.Error.WriteLine($"embedding: {EmbedDocuments.Padding}");
return code;

/// <summary>The `--name value` pairs after a command word.</summary>
internal static class Options
{
    public static Dictionary<string, string>? Parse(string[] args, string[] known, string required)
    {
        var options = new Dictionary<string, string>();
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!known.Contains(args[i])) { Console.Error.WriteLine($"error: unknown option {args[i]} (known: {string.Join(", ", known)})"); return null; }
            if (i + 1 >= args.Length) { Console.Error.WriteLine($"error: {args[i]} needs a value"); return null; }
            options[args[i]] = args[i + 1];
        }
        if (!options.ContainsKey(required)) { Console.Error.WriteLine($"error: {required} is required"); return null; }
        return options;
    }

    public static int Int(Dictionary<string, string> options, string name, int defaultValue) =>
        options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : defaultValue;
}
