using System.Globalization;
using TextQuality;
using TextQuality.Corpus;

// `TextQuality make-corpus --count N --out FILE [--seed S]` writes the synthetic input;
// anything else is the pipeline's standard command line (see docs/cli.md).
if (args.Length > 0 && args[0] == "make-corpus")
{
    int count = 200_000;
    string output = "data/textquality/input.jsonl";
    ulong seed = 42;
    for (int i = 1; i + 1 < args.Length; i += 2)
    {
        switch (args[i])
        {
            case "--count": count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            case "--out": output = args[i + 1]; break;
            case "--seed": seed = ulong.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            default: Console.Error.WriteLine($"error: unknown option {args[i]}"); return 2;
        }
    }
    var dir = Path.GetDirectoryName(Path.GetFullPath(output));
    if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    CorpusWriter.WriteFile(output, count, seed);
    Console.Error.WriteLine($"wrote {count:N0} documents to {output}");
    return 0;
}

return await TextQualityPipeline.RunAsync(args);
