using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--preprocess DIR [--reps N] [--workers W] [--full-decode]</c>: the whole-program side of the
/// comparison with PyTorch's DataLoader (benchmarks/python/torch_preprocess.py, run together by
/// benchmarks/preprocess-peer.sh). Reads DIR/manifest.jsonl as the Python peer does, builds the
/// <see cref="Preprocess"/> pipeline once (or <see cref="PreprocessFullDecode"/>), runs it over every
/// manifest entry once untimed as warm-up (JIT, page cache; reported as "first"), then <c>N</c> timed
/// runs, each a whole RunAsync over the files into an array sink; corrupt files are dead-lettered
/// (counted, no file). Prints one line per mode in the Python peer's format:
/// <c>RESULT peer=sluice variant=&lt;shrink|full&gt; mode=&lt;first|steady&gt; images=N failed=F epochs=R seconds=S images_per_s=X checksum=C</c>.
/// </summary>
internal static class PreprocessPeer
{
    public static int Run(string[] args)
    {
        string? dir = null;
        int reps = 5, workers = 2;
        bool full = false;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--full-decode": full = true; break;
                default:
                    if (dir is not null || args[i].StartsWith("--", StringComparison.Ordinal))
                    {
                        Console.Error.WriteLine($"error: unexpected argument {args[i]}");
                        return 2;
                    }
                    dir = args[i];
                    break;
            }
        }
        if (dir is null)
        {
            Console.Error.WriteLine("usage: --preprocess DIR [--reps N] [--workers W] [--full-decode]");
            return 2;
        }

        var rows = new List<ImageRow>();
        foreach (var line in File.ReadLines(Path.Combine(dir, "manifest.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            rows.Add(new ImageRow(Path.Combine(dir, doc.RootElement.GetProperty("url").GetString()!),
                                  doc.RootElement.GetProperty("label").GetString()!));
        }
        var input = rows.ToArray();
        var output = new TensorRow[input.Length];
        var sink = new ArraySink<TensorRow>(output);
        var options = new PipelineOptions { Workers = workers };
        var pipeline = full ? PreprocessFullDecode.Create(options) : Preprocess.Create(options);
        string variant = full ? "full" : "shrink";
        Console.Error.WriteLine($"# Sluice {variant}: {input.Length} manifest entries, Workers = {workers}, " +
                                $"{Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");

        (int Images, long Failed, double Checksum, double Seconds) Epoch()
        {
            var watch = Stopwatch.StartNew();
            var result = pipeline.RunAsync(Source.From(input), sink).GetAwaiter().GetResult();
            double seconds = watch.Elapsed.TotalSeconds;
            if (result.Error is not null) throw new InvalidOperationException("The preprocessing run failed.", result.Error);
            double checksum = 0;
            for (int i = 0; i < sink.Count; i++) checksum += output[i].Checksum;
            return (sink.Count, result.RowsFailed, checksum, seconds);
        }

        var first = Epoch();
        Report(variant, "first", first.Images, first.Failed, first.Seconds, 1, first.Checksum);
        var runs = Enumerable.Range(0, reps).Select(_ => Epoch()).ToArray();
        var last = runs[^1];
        Report(variant, "steady", last.Images, last.Failed, runs.Average(r => r.Seconds), reps, last.Checksum);
        return 0;
    }

    private static void Report(string variant, string mode, int images, long failed, double seconds, int epochs, double checksum) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT peer=sluice variant={variant} mode={mode} images={images} failed={failed} epochs={epochs} " +
            $"seconds={seconds:F4} images_per_s={images / seconds:F1} checksum={checksum:F6}"));
}
