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

    /// <summary>
    /// The model's session: one per batch worker. On the CPU it uses every core (--set threads=N to change):
    /// measured on 2 cores, one 2-thread session beats two 1-thread sessions end to end, because two batch
    /// workers each wait for a full batch before they start and leave a longer tail. ONNX Runtime's memory
    /// pattern is off (--set mempattern=true for it): with it on, every distinct batch size gets its own
    /// planned block in the arena, which keeps them all; off, the 10,000-image run at --memory-limit 512MB
    /// peaked 40 MB lower and ran 2% faster (benchmarks/RESULTS.md, section 7). Its threads do not spin
    /// while they wait (--set spin=true for that): spinning burns the moments the decoders could use.
    /// </summary>
    public static OnnxSessionOptions ModelOptions(PipelineOptions options, Device device) => new()
    {
        Device = device,
        IntraOpThreads = options.Get("threads", options.Workers),
        CpuMemoryArena = options.Get("arena", true),
        MemoryPattern = options.Get("mempattern", false),
        Spinning = options.Get("spin", false),
        BatchSize = BatchSize,
    };

    [Resource] static ImageSource Source(PipelineContext ctx) =>
        new(new Downloader(ctx), ctx.Options.Get("root", Directory.GetCurrentDirectory()));

    [Resource] static OnnxSession Model(PipelineContext ctx)
    {
        var session = OnnxSession.Load(ctx.Options.Get("model", "models/resnet18.onnx"), ModelOptions(ctx.Options, ctx.Device));
        if (session.Notice is not null) Console.Error.WriteLine($"notice: {session.Notice}");
        return session;
    }

    [Stage(MaxConcurrency = 32)]
    static ValueTask<Blob> Bytes(string url, ImageSource source, CancellationToken ct) => source.GetAsync(url, ct);

    [Stage] static Image Image(Blob bytes) => DecodeImage(bytes.Span);

    // Normalized pixels in a pooled, budget-counted tensor: the runtime lays a morsel's tensors out slot after
    // slot in one batch buffer, so Classify hands its batch to the model without copying it.
    [Stage] static Tensor Pixels(Image image) => Tensor.Create(PixelsPerImage, image, ToTensor);

    /// <summary>Images per inference batch.</summary>
    public const int BatchSize = 100;

    /// <summary>One batch worker's logits buffer (made once per worker).</summary>
    public sealed class Logits
    {
        /// <summary>The batch logits.</summary>
        public float[] Values { get; } = new float[BatchSize * 1000];
    }

    [Resource] static Logits LogitsBuffer() => new();

    [Stage(BatchSize = BatchSize, Device = Device.Gpu)]
    static void Classify(ReadOnlySpan<Tensor> pixels, Span<int[]> top5, Span<float[]> top5Scores, OnnxSession model, Logits logits)
    {
        var values = logits.Values.AsSpan(0, pixels.Length * 1000);
        model.RunBatch(pixels, [3, Side, Side], values, [1000]);
        for (int i = 0; i < pixels.Length; i++)
            (top5[i], top5Scores[i]) = Postprocess.TopK(values.Slice(i * 1000, 1000), 5);
    }
}
