using System.Text.Json;
using ImageClassification;
using Xunit;

namespace Sluice.Pipelines.Tests;

/// <summary>The image classification workload end to end through its command line, on real photographs.</summary>
public sealed class ClassifyImagesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-classify").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Model()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        var model = Path.Combine(dir, "models", "resnet18.onnx");
        if (!File.Exists(model)) Assert.Fail("models/resnet18.onnx is missing: run scripts/setup-models.sh (scripts/test.sh does).");
        return model;
    }

    [Fact]
    public async Task Every_image_is_classified_or_dead_lettered_with_its_reason_and_the_run_exits_0()
    {
        var images = Path.Combine(_root, "images");
        var entries = CorpusBuilder.Build(new CorpusOptions { Count = 40, Output = images, Seed = 5, Threads = 1, CorruptFraction = 0.1 });
        int corrupt = entries.Count(e => e.Kind is not (CorpusFileKind.Jpeg or CorpusFileKind.Png));
        Assert.True(corrupt > 0);
        string output = Path.Combine(_root, "predictions.jsonl"), dead = Path.Combine(_root, "dead.jsonl");

        int exit = await ClassifyImages.RunAsync(new[]
        {
            "--input", Path.Combine(images, "manifest.jsonl"), "--output", output, "--dead-letter", dead,
            "--set", "root=" + images, "--set", "model=" + Model(), "--max-failed-rows", "10", "--quiet",
        });

        Assert.Equal(0, exit);
        var predictions = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(entries.Count - corrupt, predictions.Count);
        foreach (var p in predictions)
        {
            var top = p.GetProperty("top5").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var scores = p.GetProperty("top5Scores").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            Assert.Equal(5, top.Distinct().Count());
            Assert.All(top, c => Assert.InRange(c, 0, 999));
            Assert.True(scores.Zip(scores.Skip(1)).All(x => x.First >= x.Second), "scores must be sorted");
        }
        var deadRows = File.ReadAllLines(dead).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(corrupt, deadRows.Count);
        Assert.All(deadRows, r => Assert.Equal("ImageDecodeException", r.GetProperty("error").GetString()));
    }
}
