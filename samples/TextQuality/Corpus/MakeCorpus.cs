#!/usr/bin/env dotnet
#:property PublishAot=false
#:property Configuration=Release
#:include CorpusWriter.cs

// Writes the TextQuality sample's synthetic web-text corpus as JSON Lines.
//   dotnet run samples/TextQuality/Corpus/MakeCorpus.cs -- --count 200000 --out data/textquality/input.jsonl --seed 42
// The same seed always gives the same bytes (see CorpusWriter).

using System;
using System.Diagnostics;
using System.Globalization;
using TextQuality.Corpus;

int count = 200_000;
string output = "data/textquality/input.jsonl";
ulong seed = 42;

for (int i = 0; i < args.Length; i++)
{
    string option = args[i];
    if (option is "-h" or "--help")
    {
        Console.WriteLine("usage: MakeCorpus [--count N] [--out PATH] [--seed S]");
        return 0;
    }
    if (i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"error: {option} needs a value");
        return 2;
    }
    string value = args[++i];
    bool ok = option switch
    {
        "--count" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count),
        "--out" => (output = value).Length > 0,
        "--seed" => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
        _ => false,
    };
    if (!ok)
    {
        Console.Error.WriteLine($"error: bad option or value: {option} {value}");
        return 2;
    }
}

var stopwatch = Stopwatch.StartNew();
CorpusSummary summary = CorpusWriter.WriteFile(output, count, seed);
stopwatch.Stop();

double seconds = stopwatch.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"wrote {summary.Documents} documents, {summary.Bytes / 1e6:F1} MB to {output} in {seconds:F2} s ({summary.Documents / Math.Max(seconds, 1e-9):F0} docs/s)"));
foreach (CorpusKind kind in Enum.GetValues<CorpusKind>())
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kind,-16}{summary[kind],9}  {100.0 * summary[kind] / Math.Max(summary.Documents, 1),5:F1}%"));
return 0;
