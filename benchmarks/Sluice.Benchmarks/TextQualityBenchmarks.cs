using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using TextQuality;
using TextQuality.Corpus;

namespace Sluice.Benchmarks;

/// <summary>
/// TextQuality end to end, file to file: JSON Lines in, the Gopher rules and MinHash, JSON Lines out.
/// Baselines in the same run: the loop a programmer writes by hand with System.Text.Json's
/// source-generated serializer (one thread), and the same loop with PLINQ (every core, order kept
/// loosely, the multi-core peer a .NET user would pick).
/// </summary>
[MemoryDiagnoser]
public class TextQualityBenchmarks
{
    public const int Documents = 50_000;
    private string _dir = "";
    private string _input = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tq-bench").FullName;
        _input = Path.Combine(_dir, "input.jsonl");
        CorpusWriter.WriteFile(_input, Documents, seed: 42);
        int loop = HandWrittenLoop(), plinq = HandWrittenPlinq(), sluice = Sluice();
        if (loop != plinq || loop != sluice)
            throw new InvalidOperationException($"Variants disagree: loop {loop}, PLINQ {plinq}, Sluice {sluice} documents kept.");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static CleanDocument? Process(Document doc)
    {
        var normalized = Rules.Normalize(doc.Text);
        if (Rules.FailedRules(normalized) != GopherRule.None) return null;
        return new CleanDocument(doc.Id, doc.Url, normalized, Rules.WordCount(normalized), Rules.MeanWordLength(normalized), Rules.MinHash(normalized));
    }

    [Benchmark(Baseline = true)]
    public int HandWrittenLoop()
    {
        int kept = 0;
        using var writer = new StreamWriter(Path.Combine(_dir, "loop.jsonl"));
        foreach (var line in File.ReadLines(_input))
        {
            var doc = JsonSerializer.Deserialize(line, TextQualityJson.Default.Document)!;
            if (Process(doc) is not { } row) continue;
            writer.WriteLine(JsonSerializer.Serialize(row, TextQualityJson.Default.CleanDocument));
            kept++;
        }
        return kept;
    }

    [Benchmark]
    public int HandWrittenPlinq()
    {
        int kept = 0;
        using var writer = new StreamWriter(Path.Combine(_dir, "plinq.jsonl"));
        var rows = File.ReadLines(_input).AsParallel()
            .Select(line => Process(JsonSerializer.Deserialize(line, TextQualityJson.Default.Document)!))
            .Where(row => row is not null)
            .Select(row => JsonSerializer.Serialize(row!, TextQualityJson.Default.CleanDocument));
        foreach (var line in rows)
        {
            writer.WriteLine(line);
            kept++;
        }
        return kept;
    }

    [Benchmark]
    public int Sluice()
    {
        var result = TextQualityPipeline.Create()
            .RunAsync(Source.JsonLines<Document>(_input), Sink.JsonLines<CleanDocument>(Path.Combine(_dir, "sluice.jsonl")))
            .GetAwaiter().GetResult();
        return (int)result.RowsWritten;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Document))]
[JsonSerializable(typeof(CleanDocument))]
internal sealed partial class TextQualityJson : JsonSerializerContext
{
}
