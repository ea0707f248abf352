using System.Diagnostics;
using System.Globalization;
using ImageClassification;

// `ImageClassification make-corpus --count N --out DIR [--seed S] [--source DIR]` writes an ImageNet-like
// corpus of crops of real photographs plus DIR/manifest.jsonl.
if (args.Length > 0 && args[0] == "make-corpus")
{
    int count = 1000;
    string? output = null;
    int seed = 42;
    string source = CorpusOptions.DefaultSource;
    for (int i = 1; i < args.Length; i += 2)
    {
        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"error: {args[i]} needs a value");
            return 2;
        }
        switch (args[i])
        {
            case "--count": count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            case "--out": output = args[i + 1]; break;
            case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            case "--source": source = args[i + 1]; break;
            default: Console.Error.WriteLine($"error: unknown option {args[i]}"); return 2;
        }
    }
    if (output is null)
    {
        Console.Error.WriteLine("error: --out DIR is required");
        return 2;
    }
    var clock = Stopwatch.StartNew();
    var entries = CorpusBuilder.Build(new CorpusOptions { Count = count, Output = output, Seed = seed, Source = source });
    clock.Stop();
    long bytes = new DirectoryInfo(output).EnumerateFiles().Sum(f => f.Length);
    int corrupt = entries.Count(e => e.Kind is not (CorpusFileKind.Jpeg or CorpusFileKind.Png));
    int png = entries.Count(e => e.Kind == CorpusFileKind.Png);
    Console.Error.WriteLine(
        $"wrote {entries.Count:N0} files ({png:N0} PNG, {corrupt:N0} corrupt, {bytes / 1e6:N1} MB) and {CorpusBuilder.ManifestName} to {output} " +
        $"in {clock.Elapsed.TotalSeconds:N2} s: {entries.Count / clock.Elapsed.TotalSeconds:N0} images/s");
    return 0;
}

// `ImageClassification bench-ort --corpus DIR [--images N] [--sessions S] [--threads T] [--model PATH]`:
// the end-to-end benchmark's baseline, ONNX Runtime inference alone on pre-made tensors.
if (args.Length > 0 && args[0] == "bench-ort")
{
    string? corpus = null;
    var o = new InferenceBaselineOptions { Corpus = "" };
    for (int i = 1; i < args.Length; i += 2)
    {
        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"error: {args[i]} needs a value");
            return 2;
        }
        string v = args[i + 1];
        switch (args[i])
        {
            case "--corpus": corpus = v; break;
            case "--images": o = o with { Images = int.Parse(v, CultureInfo.InvariantCulture) }; break;
            case "--sessions": o = o with { Sessions = int.Parse(v, CultureInfo.InvariantCulture) }; break;
            case "--threads": o = o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) }; break;
            case "--model": o = o with { Model = v }; break;
            case "--arena": o = o with { Arena = bool.Parse(v) }; break;
            default: Console.Error.WriteLine($"error: unknown option {args[i]}"); return 2;
        }
    }
    if (corpus is null)
    {
        Console.Error.WriteLine("error: --corpus DIR is required");
        return 2;
    }
    var (rate, elapsed, batches) = InferenceBaseline.Run(o with { Corpus = corpus }, Console.Error);
    Console.WriteLine($"onnxruntime alone: {o.Images} images in {batches} batches, {elapsed.TotalSeconds:N2} s, {rate:N1} images/s");
    return 0;
}

// Anything else is the pipeline's standard command line (docs/cli.md), e.g.
//   ImageClassification --input data/images/manifest.jsonl --output predictions.jsonl --set root=data/images
return await ClassifyImages.RunAsync(args);
