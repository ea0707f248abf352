using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sluice.Media;

/// <summary>Per-channel normalisation constants for <see cref="Image.ToTensor"/>.</summary>
public static class Normalize
{
    /// <summary>The ImageNet channel means (R, G, B) of pixel / 255: 0.485, 0.456, 0.406.</summary>
    public static ReadOnlySpan<float> ImageNetMean => [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet channel standard deviations (R, G, B) of pixel / 255: 0.229, 0.224, 0.225.</summary>
    public static ReadOnlySpan<float> ImageNetStd => [0.229f, 0.224f, 0.225f];
}

public sealed partial class Image
{
    /// <summary>
    /// A copy of the <paramref name="width"/>×<paramref name="height"/> rectangle whose top-left pixel is
    /// (<paramref name="x"/>, <paramref name="y"/>); the rectangle must lie inside the image. The caller disposes it.
    /// </summary>
    public Image Crop(int x, int y, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (x < 0 || y < 0 || (long)x + width > Width || (long)y + height > Height)
            throw new ArgumentOutOfRangeException(nameof(x),
                $"The crop {width}x{height} at ({x}, {y}) does not lie inside the {Width}x{Height} image.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return CropOrPad(x, y, width, height);
    }

    /// <summary>
    /// The centred <paramref name="width"/>×<paramref name="height"/> crop, placed as torchvision's
    /// <c>CenterCrop</c> does: top = round((H − h) / 2), left = round((W − w) / 2) with Python's round
    /// (halves to even). A crop larger than the image pads it with zeros first, (size − crop) // 2 before
    /// and the rest after, as torchvision does. The caller disposes the result.
    /// </summary>
    public Image CenterCrop(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return CropOrPad(CenterOffset(Width, width), CenterOffset(Height, height), width, height);
    }

    /// <summary>Where a centred crop of <paramref name="crop"/> starts in <paramref name="size"/> (negative: padding).</summary>
    internal static int CenterOffset(int size, int crop) =>
        crop > size
            ? -((crop - size) / 2)
            : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    /// <summary>
    /// Resized so the shorter side is <paramref name="size"/> and the longer side is
    /// int(<paramref name="size"/> × long / short) (truncated), keeping orientation: torchvision's
    /// <c>Resize(int)</c>. An image already that size comes back as a copy. The caller disposes the result.
    /// </summary>
    public Image ResizeShorterSide(int size, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var (w, h) = ShorterSideSize(Width, Height, size);
        return Resize(w, h, filter);
    }

    /// <summary>
    /// <see cref="ResizeShorterSide"/>(<paramref name="size"/>, <paramref name="filter"/>) then
    /// <see cref="CenterCrop"/>(<paramref name="cropWidth"/>, <paramref name="cropHeight"/>), byte for byte,
    /// in one <see cref="ResizeCrop"/>: only the crop's pixels of the resized image are computed (for
    /// ImageNet's 256 then 224 crop of a 4:3 image, about 57% of them) and the resized image is never
    /// allocated. A crop larger than the resized image (torchvision pads it) takes the two steps. The caller
    /// disposes the result.
    /// </summary>
    public Image ResizeShorterSideCenterCrop(int size, int cropWidth, int cropHeight, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropHeight);
        var (w, h) = ShorterSideSize(Width, Height, size);
        if (cropWidth > w || cropHeight > h)
        {
            using var resized = Resize(w, h, filter);
            return resized.CenterCrop(cropWidth, cropHeight);
        }
        return ResizeCrop(w, h, CenterOffset(w, cropWidth), CenterOffset(h, cropHeight), cropWidth, cropHeight, filter);
    }

    /// <summary>The output size of <see cref="ResizeShorterSide"/> for a <paramref name="width"/>×<paramref name="height"/> image.</summary>
    internal static (int Width, int Height) ShorterSideSize(int width, int height, int size)
    {
        int shortSide = Math.Min(width, height), longSide = Math.Max(width, height);
        int newLong = (int)((double)size * longSide / shortSide);
        if (newLong <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"Resizing {width}x{height} to a shorter side of {size} leaves no pixels.");
        return width <= height ? (size, newLong) : (newLong, size);
    }

    /// <summary>
    /// The image in <paramref name="mode"/>: RGB/RGBA → L by Pillow's ITU-R 601-2 luma
    /// L = R·299/1000 + G·587/1000 + B·114/1000 (in Pillow's 16-bit fixed point, rounded);
    /// L → RGB/RGBA replicates the gray; RGB → RGBA adds opaque alpha; RGBA → RGB drops alpha
    /// (no compositing). The same mode returns a copy. The caller disposes the result.
    /// </summary>
    public Image ConvertTo(PixelMode mode)
    {
        if (mode is not (PixelMode.L or PixelMode.RGB or PixelMode.RGBA))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The pixel mode must be L, RGB or RGBA.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (mode == Mode) return Copy();
        var output = Create(Width, Height, mode);
        int inC = Channels, outC = (int)mode;
        ReadOnlySpan<byte> src = Span;
        Span<byte> dst = output.Span;
        int pixels = Width * Height;
        for (int p = 0, s = 0, d = 0; p < pixels; p++, s += inC, d += outC)
        {
            if (mode == PixelMode.L)
            {
                dst[d] = (byte)((src[s] * 19595 + src[s + 1] * 38470 + src[s + 2] * 7471 + 0x8000) >> 16);
            }
            else
            {
                if (inC == 1) { dst[d] = dst[d + 1] = dst[d + 2] = src[s]; }
                else { dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]; }
                if (outC == 4) dst[d + 3] = 255;
            }
        }
        return output;
    }

    /// <summary>
    /// Writes the pixels as planar CHW floats, (pixel / 255 − <paramref name="mean"/>[c]) / <paramref name="std"/>[c],
    /// straight into <paramref name="destination"/> (for example one image's slot in a batch tensor),
    /// which must hold exactly <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/> floats;
    /// <paramref name="mean"/> and <paramref name="std"/> hold one value per channel (see <see cref="Normalize"/>).
    /// Vectorized: Vector128 byte shuffles split 4 interleaved RGB/RGBA pixels (16 gray pixels for L) into
    /// channel lanes, widen them to floats and normalise 4 at a time; the tail is scalar with the same arithmetic,
    /// so both paths give identical floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first image: no tier-0 loops
    public void ToTensor(Span<float> destination, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int c = Channels, plane = Width * Height;
        if (destination.Length != c * plane)
            throw new ArgumentException(
                $"The destination holds {destination.Length} floats; a {Width}x{Height} {Mode} image needs exactly {c}x{Height}x{Width} = {c * plane}.",
                nameof(destination));
        if (mean.Length != c) throw new ArgumentException($"{mean.Length} means given for a {c}-channel {Mode} image.", nameof(mean));
        if (std.Length != c) throw new ArgumentException($"{std.Length} standard deviations given for a {c}-channel {Mode} image.", nameof(std));
        for (int i = 0; i < c; i++)
            if (!(std[i] != 0f) || !float.IsFinite(std[i]))
                throw new ArgumentException($"std[{i}] is {std[i]}; it must be finite and non-zero.", nameof(std));

        ReadOnlySpan<byte> src = Span;
        ref byte srcRef = ref MemoryMarshal.GetReference(src);
        int p = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var v255 = Vector128.Create(255f);
            if (c == 1)
            {
                var m = Vector128.Create(mean[0]);
                var s = Vector128.Create(std[0]);
                for (; p + 16 <= plane; p += 16)
                {
                    var bytes = Vector128.LoadUnsafe(ref srcRef, (nuint)p);
                    var (lo, hi) = Vector128.Widen(bytes);
                    var (u0, u1) = Vector128.Widen(lo);
                    var (u2, u3) = Vector128.Widen(hi);
                    ((Vector128.ConvertToSingle(u0) / v255 - m) / s).CopyTo(destination[p..]);
                    ((Vector128.ConvertToSingle(u1) / v255 - m) / s).CopyTo(destination[(p + 4)..]);
                    ((Vector128.ConvertToSingle(u2) / v255 - m) / s).CopyTo(destination[(p + 8)..]);
                    ((Vector128.ConvertToSingle(u3) / v255 - m) / s).CopyTo(destination[(p + 12)..]);
                }
            }
            else
            {
                var m0 = Vector128.Create(mean[0]); var s0 = Vector128.Create(std[0]);
                var m1 = Vector128.Create(mean[1]); var s1 = Vector128.Create(std[1]);
                var m2 = Vector128.Create(mean[2]); var s2 = Vector128.Create(std[2]);
                var m3 = Vector128.Create(c == 4 ? mean[3] : 0f); var s3 = Vector128.Create(c == 4 ? std[3] : 1f);
                // Gather R, G, B (and A) of 4 pixels into 4-byte groups.
                var split = c == 3
                    ? Vector128.Create((byte)0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, 0x80, 0x80, 0x80, 0x80)
                    : Vector128.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
                Span<float> r = destination.Slice(0, plane), g = destination.Slice(plane, plane), b = destination.Slice(2 * plane, plane);
                Span<float> a = c == 4 ? destination.Slice(3 * plane, plane) : default;
                // A 16-byte load at pixel p must stay inside the pixels (RGB reads 4 bytes past the 4 pixels).
                for (; p + 4 <= plane && (p * c) + 16 <= src.Length; p += 4)
                {
                    var bytes = Vector128.Shuffle(Vector128.LoadUnsafe(ref srcRef, (nuint)(p * c)), split);
                    var (lo, hi) = Vector128.Widen(bytes);
                    var (ur, ug) = Vector128.Widen(lo);
                    var (ub, ua) = Vector128.Widen(hi);
                    ((Vector128.ConvertToSingle(ur) / v255 - m0) / s0).CopyTo(r[p..]);
                    ((Vector128.ConvertToSingle(ug) / v255 - m1) / s1).CopyTo(g[p..]);
                    ((Vector128.ConvertToSingle(ub) / v255 - m2) / s2).CopyTo(b[p..]);
                    if (c == 4) ((Vector128.ConvertToSingle(ua) / v255 - m3) / s3).CopyTo(a[p..]);
                }
            }
        }
        for (; p < plane; p++)
            for (int ch = 0; ch < c; ch++)
                destination[ch * plane + p] = (src[p * c + ch] / 255f - mean[ch]) / std[ch];
    }

    /// <summary>A <paramref name="width"/>×<paramref name="height"/> window at (x, y), zero where it leaves the image.</summary>
    private Image CropOrPad(int x, int y, int width, int height)
    {
        var output = Create(width, height, Mode);
        int c = Channels;
        int x0 = Math.Max(x, 0), x1 = Math.Min(x + width, Width);
        int y0 = Math.Max(y, 0), y1 = Math.Min(y + height, Height);
        if (x < 0 || y < 0 || x1 - x < width || y1 - y < height) output.Span.Clear();
        if (x0 >= x1) return output;
        for (int row = y0; row < y1; row++)
            Row(row).Slice(x0 * c, (x1 - x0) * c).CopyTo(output.Row(row - y).Slice((x0 - x) * c));
        return output;
    }
}
