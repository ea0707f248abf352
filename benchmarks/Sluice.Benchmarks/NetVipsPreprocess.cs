using NetVips;

namespace Sluice.Benchmarks;

/// <summary>
/// The same ImageNet evaluation preprocessing written with NetVips (libvips), the library a .NET user would
/// pick for it: the header for the size, <c>Image.Thumbnail</c> to the shorter side 256 (libvips uses JPEG
/// shrink-on-load itself), flatten/convert to sRGB where needed, crop the centre 224×224, normalise with one
/// <c>Linear</c>, and the HWC floats it writes to memory transposed into the CHW tensor. libvips resamples
/// with its own kernels (a Lanczos-3 reduce after the shrink), so its tensors are close to the others', not
/// equal: the checksums differ a little.
/// </summary>
internal static class NetVipsPreprocess
{
    private const int Crop = Preprocess.Crop;
    private const int Resize = Preprocess.Resize;
    private static readonly double[] Scale = [1 / (255 * 0.229), 1 / (255 * 0.224), 1 / (255 * 0.225)];
    private static readonly double[] Offset = [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225];

    /// <summary>Preprocesses the file at <paramref name="path"/> into <paramref name="tensor"/> (3×224×224, CHW); a file libvips cannot read throws <see cref="VipsException"/>.</summary>
    public static void ToTensor(string path, Span<float> tensor)
    {
        int width, height;
        using (var header = Image.NewFromFile(path, access: Enums.Access.Sequential))
        {
            width = header.Width;
            height = header.Height;
        }
        // torchvision's Resize(256): the shorter side to 256, the longer one scaled and truncated.
        var (w, h) = width <= height ? (Resize, (int)((long)Resize * height / width)) : ((int)((long)Resize * width / height), Resize);
        using var thumbnail = Image.Thumbnail(path, w, height: h, size: Enums.Size.Force, failOn: Enums.FailOn.Error);
        using var flat = thumbnail.HasAlpha() ? thumbnail.Flatten() : thumbnail.Copy();
        using var rgb = flat.Bands == 3 ? flat.Copy() : flat.Colourspace(Enums.Interpretation.Srgb);
        int left = (int)Math.Round((rgb.Width - Crop) / 2.0), top = (int)Math.Round((rgb.Height - Crop) / 2.0);
        using var crop = rgb.ExtractArea(left, top, Crop, Crop);
        using var normalized = crop.Linear(Scale, Offset);
        var hwc = normalized.WriteToMemory<float>();
        const int plane = Crop * Crop;
        for (int p = 0; p < plane; p++)
        {
            tensor[p] = hwc[3 * p];
            tensor[plane + p] = hwc[3 * p + 1];
            tensor[2 * plane + p] = hwc[3 * p + 2];
        }
    }
}
