using System.Diagnostics;
using System.Globalization;
using ImageClassification;

// `ImageClassification make-corpus --count N --out DIR [--seed S] [--source DIR]` writes an ImageNet-like
// corpus of crops of real photographs plus DIR/manifest.jsonl.
if (args.Length > 0 && args[0] == "make-corpus")
{
    if (ParseOptions(args, ["--count", "--out", "--seed", "--source"], required: "--out") is not { } o) return 2;
    string output = o["--out"];
    var clock = Stopwatch.StartNew();
    var entries = CorpusBuilder.Build(new CorpusOptions
    {
        Count = Int(o, "--count", 1000),
        Output = output,
        Seed = Int(o, "--seed", 42),
        Source = o.GetValueOrDefault("--source", CorpusOptions.DefaultSource),
    });
    clock.Stop();
    long bytes = new DirectoryInfo(output).EnumerateFiles().Sum(f => f.Length);
    int corrupt = entries.Count(e => e.Kind is not (CorpusFileKind.Jpeg or CorpusFileKind.Png));
    int png = entries.Count(e => e.Kind == CorpusFileKind.Png);
    Console.Error.WriteLine(
        $"wrote {entries.Count:N0} files ({png:N0} PNG, {corrupt:N0} corrupt, {bytes / 1e6:N1} MB) and {CorpusBuilder.ManifestName} to {output} " +
        $"in {clock.Elapsed.TotalSeconds:N2} s: {entries.Count / clock.Elapsed.TotalSeconds:N0} images/s");
    return 0;
}

// `ImageClassification bench-ort --corpus DIR [--images N] [--sessions S] [--threads T] [--model PATH] [--arena BOOL] [--mempattern BOOL] [--spin BOOL] [--warmup BOOL]`:
// the end-to-end benchmark's baseline, ONNX Runtime inference alone on pre-made tensors.
if (args.Length > 0 && args[0] == "bench-ort")
{
    if (ParseOptions(args, ["--corpus", "--images", "--sessions", "--threads", "--model", "--arena", "--mempattern", "--spin", "--warmup"], required: "--corpus") is not { } o) return 2;
    var defaults = new InferenceBaselineOptions { Corpus = o["--corpus"] };
    var options = defaults with
    {
        Images = Int(o, "--images", defaults.Images),
        Sessions = Int(o, "--sessions", defaults.Sessions),
        Threads = Int(o, "--threads", defaults.Threads),
        Model = o.GetValueOrDefault("--model", defaults.Model),
        Arena = Bool(o, "--arena", defaults.Arena),
        MemPattern = Bool(o, "--mempattern", defaults.MemPattern),
        Spin = Bool(o, "--spin", defaults.Spin),
        WarmUp = Bool(o, "--warmup", defaults.WarmUp),
    };
    var (rate, elapsed, batches) = InferenceBaseline.Run(options, Console.Error);
    Console.WriteLine($"onnxruntime alone: {options.Images} images in {batches} batches, {elapsed.TotalSeconds:N2} s, {rate:N1} images/s");
    return 0;
}

// Anything else is the pipeline's standard command line (docs/cli.md), e.g.
//   ImageClassification --input data/images/manifest.jsonl --output predictions.jsonl --set root=data/images
int code = await ClassifyImages.RunAsync(args);
if (Sluice.Onnx.OnnxSession.BatchRows is { Run: > 0 } rows)
    Console.Error.WriteLine($"batch input: {rows.Run - rows.Copied:N0} of {rows.Run:N0} images went to the model where the pipeline put them, {rows.Copied:N0} were copied");
return code;

// The `--name value` pairs after a command word; null, after saying why, when one has no value, is not
// one of the command's, or the required one (a folder, for both commands) is missing.
static Dictionary<string, string>? ParseOptions(string[] args, string[] known, string required)
{
    var options = new Dictionary<string, string>();
    for (int i = 1; i < args.Length; i += 2)
    {
        if (!known.Contains(args[i]))
        {
            Console.Error.WriteLine($"error: unknown option {args[i]}");
            return null;
        }
        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"error: {args[i]} needs a value");
            return null;
        }
        options[args[i]] = args[i + 1];
    }
    if (!options.ContainsKey(required))
    {
        Console.Error.WriteLine($"error: {required} DIR is required");
        return null;
    }
    return options;
}

static int Int(Dictionary<string, string> options, string name, int defaultValue) =>
    options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

static bool Bool(Dictionary<string, string> options, string name, bool defaultValue) =>
    options.TryGetValue(name, out var v) ? bool.Parse(v) : defaultValue;
