using Sluice;
using Sluice.Media;
using Sluice.Onnx;

namespace ImageClassification;

/// <summary>One manifest line: a URL or a path (relative paths resolve against <c>--set root=DIR</c>), and an optional label.</summary>
public sealed record ImageRef(string Url, string? Label);

/// <summary>The five most likely ImageNet classes of one image, with their softmax scores.</summary>
public sealed record Prediction(string Url, string? Label, int[] Top5, float[] Top5Scores);

/// <summary>Where images come from: the downloader and the folder relative paths resolve against.</summary>
public sealed class ImageSource(Downloader http, string root) : IDisposable
{
    /// <summary>Fetches one image's bytes.</summary>
    public ValueTask<Blob> GetAsync(string url, CancellationToken ct) =>
        http.GetAsync(url.Contains("://", StringComparison.Ordinal) || Path.IsPathRooted(url) ? url : Path.Combine(root, url), ct);

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => http.Dispose();
}

/// <summary>
/// The published image classification workload: download, decode (shrink on load), resize the shorter
/// side to 256, center crop 224, ImageNet normalization, ResNet-18 in batches of 100, top-5 classes.
/// An image that cannot be fetched or decoded is dead-lettered with its reason and the run goes on.
/// </summary>
[Pipeline(typeof(ImageRef), typeof(Prediction))]
public static partial class ClassifyImages
{
    /// <summary>The shorter side images are resized to before the crop.</summary>
    public const int ShorterSide = 256;
    /// <summary>The side of the square crop the model takes.</summary>
    public const int Side = 224;
    /// <summary>Floats in one image's tensor (3 × 224 × 224).</summary>
    public const int PixelsPerImage = 3 * Side * Side;

    /// <summary>Decodes an image with shrink on load to at least <see cref="ShorterSide"/> (the Image stage).</summary>
    public static Image DecodeImage(ReadOnlySpan<byte> bytes) => Sluice.Media.Image.Decode(bytes, shrinkTo: ShorterSide);

    /// <summary>Resize the shorter side to 256, center crop 224, ImageNet normalization, CHW into <paramref name="tensor"/> (the Pixels stage).</summary>
    public static void ToTensor(Image image, Span<float> tensor)
    {
        using var cropped = image.ResizeShorterSideCenterCrop(ShorterSide, Side, Side);
        cropped.ToTensor(tensor, Normalize.ImageNetMean, Normalize.ImageNetStd);
    }

    /// <summary>ONNX Runtime's session options for whether its thread pool spins while waiting (null: its default, spinning).</summary>
    public static IReadOnlyDictionary<string, string>? SpinConfig(bool spin) => spin ? null : new Dictionary<string, string>
    {
        ["session.intra_op.allow_spinning"] = "0",
        ["session.inter_op.allow_spinning"] = "0",
    };

    [Resource] static ImageSource Source(PipelineContext ctx) =>
        new(new Downloader(ctx), ctx.Options.Get("root", Directory.GetCurrentDirectory()));

    // One batch worker runs the model. On the CPU it uses every core (--set threads=N to change):
    // measured on 2 cores, one 2-thread session beats two 1-thread sessions end to end, because two
    // batch workers each wait for a full batch before they start and leave a longer tail.
    // ONNX Runtime's memory pattern is off (--set mempattern=true for it): with it on, every distinct batch
    // size (a partial batch) gets its own planned block in the arena, which keeps them all; off, the 10,000-image
    // run at --memory-limit 512MB peaked 40 MB lower and ran 2% faster (benchmarks/RESULTS.md, section 7).
    // Its threads do not spin while they wait (--set spin=true for that): spinning burns the moments the
    // decoders could use; ORT alone runs as fast either way, and the 990-image run took 17.3-17.5 s against 17.5.
    [Resource] static OnnxSession Model(PipelineContext ctx)
    {
        var session = OnnxSession.Load(ctx.Options.Get("model", "models/resnet18.onnx"), ctx.Device, ctx.Options.Get("threads", ctx.Options.Workers),
                                   cpuMemoryArena: ctx.Options.Get("arena", true), memoryPattern: ctx.Options.Get("mempattern", false),
                                   sessionConfig: SpinConfig(ctx.Options.Get("spin", false)));
        if (session.Notice is not null) Console.Error.WriteLine($"notice: {session.Notice}");
        return session;
    }

    [Stage(MaxConcurrency = 32)]
    static ValueTask<Blob> Bytes(string url, ImageSource source, CancellationToken ct) => source.GetAsync(url, ct);

    [Stage] static Image Image(Blob bytes) => DecodeImage(bytes.Span);

    // Normalized pixels in a pooled, budget-counted tensor; disposed once Classify has copied it into its batch.
    [Stage] static Tensor Pixels(Image image)
    {
        var tensor = Tensor.Rent(PixelsPerImage);
        ToTensor(image, tensor.Span);
        return tensor;
    }

    /// <summary>One batch worker's reusable input and output buffers (made once per worker).</summary>
    public sealed class BatchBuffers
    {
        /// <summary>The batch input, NCHW.</summary>
        public float[] Input { get; } = new float[BatchSize * PixelsPerImage];
        /// <summary>The batch logits.</summary>
        public float[] Logits { get; } = new float[BatchSize * 1000];
    }

    [Resource] static BatchBuffers Buffers() => new();

    /// <summary>Images per inference batch.</summary>
    public const int BatchSize = 100;

    [Stage(BatchSize = BatchSize, Device = Device.Gpu)]
    static void Classify(ReadOnlySpan<Tensor> pixels, Span<int[]> top5, Span<float[]> top5Scores, OnnxSession model, BatchBuffers buffers)
    {
        int n = pixels.Length;
        var input = buffers.Input.AsSpan(0, n * PixelsPerImage);
        for (int i = 0; i < n; i++) pixels[i].Span.CopyTo(input.Slice(i * PixelsPerImage, PixelsPerImage));
        var logits = buffers.Logits.AsSpan(0, n * 1000);
        // A partial batch is a new shape for ONNX Runtime: its arena grows regions for it and keeps them
        // (measured: 0.25-0.38 GB more resident memory for a run whose first batch was partial). Shrinking the
        // arena after such a batch gives them back; full batches keep theirs.
        model.Run(input, new long[] { n, 3, Side, Side }, logits, new long[] { n, 1000 }, shrinkArena: n != BatchSize);
        for (int i = 0; i < n; i++)
            (top5[i], top5Scores[i]) = TopK(logits.Slice(i * 1000, 1000), 5);
    }

    /// <summary>The k largest logits' classes and their softmax probabilities, most likely first.</summary>
    public static (int[] Classes, float[] Scores) TopK(ReadOnlySpan<float> logits, int k)
    {
        float max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        var classes = new int[k];
        var scores = new float[k];
        Array.Fill(classes, -1);
        Array.Fill(scores, float.NegativeInfinity);
        for (int c = 0; c < logits.Length; c++)
        {
            float v = logits[c];
            if (v <= scores[k - 1]) continue;
            int j = k - 1;
            while (j > 0 && scores[j - 1] < v) { scores[j] = scores[j - 1]; classes[j] = classes[j - 1]; j--; }
            scores[j] = v;
            classes[j] = c;
        }
        for (int j = 0; j < k; j++) scores[j] = (float)(Math.Exp(scores[j] - max) / sum);
        return (classes, scores);
    }
}
