using Sluice.Media;

namespace Sluice.Benchmarks;

/// <summary>One corpus file: its absolute path and its label (a manifest line with the url resolved).</summary>
public sealed record ImageRow(string Url, string Label);

/// <summary>The preprocessed row, kept small: the label and a checksum of the 3×224×224 tensor.</summary>
public sealed record TensorRow(string Label, double Checksum);

/// <summary>
/// ImageNet evaluation preprocessing as torchvision writes it (Resize(256), CenterCrop(224), ToTensor,
/// Normalize), with libjpeg-turbo shrink-on-load: read the file, decode at the smallest DCT scale whose
/// shorter side is still ≥ 256, resize the shorter side to 256, crop the centre 224×224, normalise into
/// a pooled, budget-counted <see cref="Tensor"/> (as the ImageClassification workload does).
/// </summary>
[Pipeline(typeof(ImageRow), typeof(TensorRow))]
public static partial class Preprocess
{
    /// <summary>Side of the square crop.</summary>
    public const int Crop = ImageClassification.ClassifyImages.Side;

    /// <summary>The shorter side before the crop.</summary>
    public const int Resize = ImageClassification.ClassifyImages.ShorterSide;

    /// <summary>Floats in one tensor (channels × height × width).</summary>
    public const int TensorLength = ImageClassification.ClassifyImages.PixelsPerImage;

    [Stage] static Blob Bytes(string url) => Blob.ReadFile(url);

    // Named Image, so the type is spelled out: the method group hides it inside this class.
    [Stage] static Sluice.Media.Image Image(Blob bytes) => ImageClassification.ClassifyImages.DecodeImage(bytes.Span);

    [Stage] static Tensor Pixels(Sluice.Media.Image image)
    {
        var tensor = Tensor.Rent(TensorLength);
        ToTensor(image, tensor.Span);
        return tensor;
    }

    [Stage] static double Checksum(Tensor pixels) => Sum(pixels.Span);

    /// <summary>
    /// Resize(256) → CenterCrop(224) (fused: only the crop's pixels are resampled, the same bytes) → normalised
    /// CHW floats: the workload's own preprocessing (<see cref="ImageClassification.ClassifyImages.ToTensor"/>).
    /// </summary>
    public static void ToTensor(Sluice.Media.Image image, Span<float> tensor) => ImageClassification.ClassifyImages.ToTensor(image, tensor);

    /// <summary>The tensor's checksum: the sum of its floats, in order, as a double.</summary>
    public static double Sum(ReadOnlySpan<float> tensor)
    {
        double sum = 0;
        foreach (float f in tensor) sum += f;
        return sum;
    }
}

/// <summary>
/// <see cref="Preprocess"/> without shrink on load: every JPEG decodes at full size, as PIL does for
/// torchvision's default transforms, so the tensors match torchvision's (see PreprocessPeer).
/// </summary>
[Pipeline(typeof(ImageRow), typeof(TensorRow))]
public static partial class PreprocessFullDecode
{
    [Stage] static Blob Bytes(string url) => Blob.ReadFile(url);

    [Stage] static Sluice.Media.Image Image(Blob bytes) => Sluice.Media.Image.Decode(bytes.Span);

    [Stage] static Tensor Pixels(Sluice.Media.Image image)
    {
        var tensor = Tensor.Rent(Preprocess.TensorLength);
        Preprocess.ToTensor(image, tensor.Span);
        return tensor;
    }

    [Stage] static double Checksum(Tensor pixels) => Preprocess.Sum(pixels.Span);
}
