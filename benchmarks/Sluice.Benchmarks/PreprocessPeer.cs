using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Sluice.Benchmarks;

/// <summary>
/// <c>--preprocess DIR [--reps N] [--workers W] [--full-decode | --netvips [--vips-concurrency C]]</c>: the whole-program side of the
/// comparison with PyTorch's DataLoader (benchmarks/python/torch_preprocess.py, run together by
/// benchmarks/preprocess-peer.sh). Reads DIR/manifest.jsonl as the Python peer does, builds the
/// <see cref="Preprocess"/> pipeline once (or <see cref="PreprocessFullDecode"/>), runs it over every
/// manifest entry once untimed as warm-up (JIT, page cache; reported as "first"), then <c>N</c> timed
/// runs, each a whole RunAsync over the files into an array sink; corrupt files are dead-lettered
/// (counted, no file). <c>--netvips</c> runs the NetVips peer instead (<see cref="NetVipsPreprocess"/>) in a
/// Parallel.For of W threads over the same files, a file libvips cannot read counted as failed;
/// <c>--vips-concurrency C</c> sets libvips' own threads per operation (default: its own, one per core).
/// Prints one line per mode in the Python peer's format:
/// <c>RESULT peer=&lt;sluice|netvips&gt; variant=&lt;shrink|full|default|c1&gt; mode=&lt;first|steady&gt; images=N failed=F epochs=R seconds=S images_per_s=X checksum=C</c>.
/// </summary>
internal static class PreprocessPeer
{
    public static int Run(string[] args)
    {
        string? dir = null;
        int reps = 5, workers = 2;
        bool full = false, netvips = false;
        int vipsConcurrency = 0;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--full-decode": full = true; break;
                case "--netvips": netvips = true; break;
                case "--vips-concurrency": vipsConcurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
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
            Console.Error.WriteLine("usage: --preprocess DIR [--reps N] [--workers W] [--full-decode | --netvips [--vips-concurrency C]]");
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
        if (netvips) return RunNetVips(input, reps, workers, vipsConcurrency);
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

    private static int RunNetVips(ImageRow[] input, int reps, int workers, int concurrency)
    {
        if (concurrency > 0) global::NetVips.NetVips.Concurrency = concurrency;
        string variant = concurrency > 0 ? $"c{concurrency}" : "default";
        string version = string.Join('.', Enumerable.Range(0, 3).Select(k => global::NetVips.NetVips.Version(k)));
        int threads = global::NetVips.NetVips.Concurrency;
        Console.Error.WriteLine($"# NetVips (libvips {version}): {input.Length} manifest entries, Parallel.For of {workers}, libvips concurrency {threads}");
        var checksums = new double[input.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        (int Images, long Failed, double Checksum, double Seconds) Epoch()
        {
            int images = 0, failed = 0;
            var watch = Stopwatch.StartNew();
            Parallel.For(0, input.Length, options, () => new float[Preprocess.TensorLength], (i, _, tensor) =>
            {
                try
                {
                    NetVipsPreprocess.ToTensor(input[i].Url, tensor);
                    checksums[i] = Preprocess.Sum(tensor);
                    Interlocked.Increment(ref images);
                }
                catch (global::NetVips.VipsException)
                {
                    checksums[i] = 0;
                    Interlocked.Increment(ref failed);
                }
                return tensor;
            }, _ => { });
            double seconds = watch.Elapsed.TotalSeconds;
            return (images, failed, checksums.Sum(), seconds);
        }
        var first = Epoch();
        Report("netvips", variant, "first", first.Images, first.Failed, first.Seconds, 1, first.Checksum);
        var runs = Enumerable.Range(0, reps).Select(_ => Epoch()).ToArray();
        var last = runs[^1];
        Report("netvips", variant, "steady", last.Images, last.Failed, runs.Average(r => r.Seconds), reps, last.Checksum);
        return 0;
    }

    private static void Report(string variant, string mode, int images, long failed, double seconds, int epochs, double checksum) =>
        Report("sluice", variant, mode, images, failed, seconds, epochs, checksum);

    private static void Report(string peer, string variant, string mode, int images, long failed, double seconds, int epochs, double checksum) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT peer={peer} variant={variant} mode={mode} images={images} failed={failed} epochs={epochs} " +
            $"seconds={seconds:F4} images_per_s={images / seconds:F1} checksum={checksum:F6}"));
}
