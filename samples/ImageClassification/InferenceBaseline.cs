using System.Diagnostics;
using System.Text.Json;
using Sluice;
using Sluice.Media;
using Sluice.Onnx;

namespace ImageClassification;

/// <summary>How <see cref="InferenceBaseline"/> runs ONNX Runtime alone.</summary>
public sealed record InferenceBaselineOptions
{
    /// <summary>The corpus folder (with manifest.jsonl).</summary>
    public required string Corpus { get; init; }
    /// <summary>The model file.</summary>
    public string Model { get; init; } = "models/resnet18.onnx";
    /// <summary>Images to classify (taken from the manifest's decodable files, repeated when fewer).</summary>
    public int Images { get; init; } = 1000;
    /// <summary>Sessions running batches side by side (one thread each).</summary>
    public int Sessions { get; init; } = 1;
    /// <summary>Intra-op threads per session (0: ONNX Runtime's default, one per core).</summary>
    public int Threads { get; init; }
    /// <summary>Whether ONNX Runtime keeps its CPU memory arena.</summary>
    public bool Arena { get; init; } = true;

    /// <summary>Whether ONNX Runtime plans memory per input shape (off by default, as in the pipeline).</summary>
    public bool MemPattern { get; init; }

    /// <summary>Whether ONNX Runtime's intra-op threads spin while they wait for work (ONNX Runtime's default: yes).</summary>
    public bool Spin { get; init; } = true;

    /// <summary>Whether each session runs one untimed batch first (its first run allocates and picks kernels).</summary>
    public bool WarmUp { get; init; } = true;
    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = ClassifyImages.BatchSize;
}

/// <summary>
/// The end-to-end benchmark's baseline: ONNX Runtime inference alone on pre-made tensors. The corpus is
/// decoded and normalized once, before the clock starts; then batches go to the model from as many
/// threads as there are sessions, and only inference is timed. What a pipeline that hides its
/// preprocessing behind inference can at best reach on the same machine.
/// </summary>
public static class InferenceBaseline
{
    private const int Side = ClassifyImages.Side;
    private const int PixelsPerImage = ClassifyImages.PixelsPerImage;

    /// <summary>Runs the baseline and returns images per second.</summary>
    public static (double ImagesPerSecond, TimeSpan Elapsed, int Batches) Run(InferenceBaselineOptions o, TextWriter log)
    {
        NativeHeap.FixMmapThreshold(); // as a pipeline run does, so the two processes' memory compares
        var tensors = Preprocess(o.Corpus, Math.Min(o.Images, o.BatchSize * 4));
        log.WriteLine($"baseline: {tensors.Count} distinct pre-made tensors, {o.Images} images in batches of {o.BatchSize}, " +
                      $"{o.Sessions} session(s) x {(o.Threads == 0 ? "default" : o.Threads.ToString())} intra-op thread(s)");
        // Every batch is its own pre-made NCHW buffer, filled before the clock starts.
        int batches = (o.Images + o.BatchSize - 1) / o.BatchSize;
        var inputs = new float[Math.Min(batches, 4)][];
        for (int b = 0; b < inputs.Length; b++)
        {
            inputs[b] = new float[o.BatchSize * PixelsPerImage];
            for (int i = 0; i < o.BatchSize; i++)
                tensors[(b * o.BatchSize + i) % tensors.Count].CopyTo(inputs[b].AsSpan(i * PixelsPerImage, PixelsPerImage));
        }
        var sessions = Enumerable.Range(0, o.Sessions).Select(_ => OnnxSession.Load(o.Model, new OnnxSessionOptions
        {
            IntraOpThreads = o.Threads, CpuMemoryArena = o.Arena, MemoryPattern = o.MemPattern, Spinning = o.Spin,
        })).ToArray();
        try
        {
            // One warm-up batch per session (first runs allocate the arena and pick kernels).
            if (o.WarmUp)
                Parallel.For(0, o.Sessions, new ParallelOptions { MaxDegreeOfParallelism = o.Sessions }, s =>
                    RunBatch(sessions[s], inputs[0], o.BatchSize, new float[o.BatchSize * 1000]));
            int next = -1;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var threads = sessions.Select(session => new Thread(() =>
            {
                var logits = new float[o.BatchSize * 1000];
                int b;
                while ((b = Interlocked.Increment(ref next)) < batches)
                {
                    int n = Math.Min(o.BatchSize, o.Images - b * o.BatchSize);
                    RunBatch(session, inputs[b % inputs.Length], n, logits);
                }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            clock.Stop();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            log.WriteLine($"baseline: CPU busy {cpu.TotalSeconds:F2} s of {clock.Elapsed.TotalSeconds * Environment.ProcessorCount:F2} core-seconds " +
                          $"({100 * cpu.TotalSeconds / (clock.Elapsed.TotalSeconds * Environment.ProcessorCount):F0}%) while timed");
            return (o.Images / clock.Elapsed.TotalSeconds, clock.Elapsed, batches);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }

    private static void RunBatch(OnnxSession session, float[] input, int n, float[] logits) =>
        session.Run(input.AsSpan(0, n * PixelsPerImage), new long[] { n, 3, Side, Side }, logits.AsSpan(0, n * 1000), new long[] { n, 1000 });

    /// <summary>The first <paramref name="count"/> decodable images of the corpus, preprocessed like the pipeline does.</summary>
    private static List<float[]> Preprocess(string corpus, int count)
    {
        var result = new List<float[]>();
        foreach (var line in File.ReadLines(Path.Combine(corpus, CorpusBuilder.ManifestName)))
        {
            if (result.Count == count) break;
            var url = JsonDocument.Parse(line).RootElement.GetProperty("url").GetString()!;
            try
            {
                using var image = ClassifyImages.DecodeImage(File.ReadAllBytes(Path.Combine(corpus, url)));
                var tensor = new float[PixelsPerImage];
                ClassifyImages.ToTensor(image, tensor);
                result.Add(tensor);
            }
            catch (ImageDecodeException)
            {
                // A corrupt corpus file: the pipeline dead-letters it; the baseline skips it.
            }
        }
        if (result.Count == 0) throw new InvalidOperationException($"No decodable image in '{corpus}'.");
        return result;
    }
}
