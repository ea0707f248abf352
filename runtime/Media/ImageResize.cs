using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sluice.Media;

/// <summary>The resampling filter of <see cref="Image.Resize"/>.</summary>
public enum ResizeFilter
{
    /// <summary>
    /// Triangle (tent) filter with support 1, widened by the reduction factor when shrinking, so a
    /// downscale averages every source pixel it covers (antialiased, like Pillow's <c>BILINEAR</c>).
    /// </summary>
    Bilinear = 0,

    /// <summary>Box filter with support ½, widened by the reduction factor: an area average (Pillow's <c>BOX</c>).</summary>
    Area = 1,
}

public sealed partial class Image
{
    // Fixed-point weights: 32 bits - 8 bits of pixel - 2 bits of headroom (Pillow uses the same split),
    // so the sum of 255 × weights never overflows an int even with rounding excess.
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// A new image of <paramref name="width"/>×<paramref name="height"/> resampled with <paramref name="filter"/>:
    /// a separable horizontal pass then a vertical pass, each with per-output-pixel weight windows
    /// precomputed once, whose support grows with the reduction factor (antialiased downscaling; the
    /// same coefficients and 22-bit fixed-point rounding as Pillow's <c>Image.resize</c> with
    /// <c>reducing_gap=None</c>). RGBA is filtered with premultiplied alpha, as Pillow does (through a
    /// premultiplied copy, so transparent pixels do not bleed their colour). The same size returns a copy.
    /// The caller disposes the result.
    /// </summary>
    public Image Resize(int width, int height, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (filter is not (ResizeFilter.Bilinear or ResizeFilter.Area))
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "The filter must be Bilinear or Area.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);

        if (width == Width && height == Height) return Copy();
        if (Mode != PixelMode.RGBA) return ResampleSeparable(width, height, filter);
        using var premultiplied = Copy();
        premultiplied.PremultiplyAlpha();
        var result = premultiplied.ResampleSeparable(width, height, filter);
        result.UnpremultiplyAlpha();
        return result;
    }

    /// <summary>RGB × alpha / 255 in place, rounded as Pillow's RGBA → RGBa conversion: t = c·a + 128, (t + (t &gt;&gt; 8)) &gt;&gt; 8.</summary>
    private void PremultiplyAlpha()
    {
        Span<byte> px = Span;
        for (int i = 0; i < px.Length; i += 4)
        {
            int a = px[i + 3];
            if (a == 255) continue;
            for (int c = 0; c < 3; c++)
            {
                int t = px[i + c] * a + 128;
                px[i + c] = (byte)((t + (t >> 8)) >> 8);
            }
        }
    }

    /// <summary>RGB × 255 / alpha in place (truncated, clamped to 255; alpha 0 and 255 untouched), as Pillow's RGBa → RGBA.</summary>
    private void UnpremultiplyAlpha()
    {
        Span<byte> px = Span;
        for (int i = 0; i < px.Length; i += 4)
        {
            int a = px[i + 3];
            if (a is 0 or 255) continue;
            for (int c = 0; c < 3; c++) px[i + c] = (byte)Math.Min(255 * px[i + c] / a, 255);
        }
    }

    /// <summary>The two passes of <see cref="Resize"/>, each skipped when its axis keeps its size.</summary>
    private Image ResampleSeparable(int width, int height, ResizeFilter filter)
    {
        bool horizontal = width != Width, vertical = height != Height;

        var kx = horizontal ? Coefficients.Compute(Width, width, filter) : null;
        var ky = vertical ? Coefficients.Compute(Height, height, filter) : null;
        if (!vertical)
        {
            var output = Create(width, Height, Mode);
            ResampleHorizontal(this, output, 0, kx!);
            return output;
        }
        if (!horizontal)
        {
            var output = Create(Width, height, Mode);
            ResampleVertical(this, output, 0, ky!);
            return output;
        }

        // Only the source rows some output row reads go through the horizontal pass.
        int first = ky!.Start[0];
        int last = ky.Start[height - 1] + ky.Count[height - 1];
        using var temp = Create(width, last - first, Mode);
        ResampleHorizontal(this, temp, first, kx!);
        var result = Create(width, height, Mode);
        ResampleVertical(temp, result, first, ky);
        return result;
    }

    /// <summary>A pixel-for-pixel copy charged to the current memory budget. The caller disposes it.</summary>
    public Image Copy()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var copy = Create(Width, Height, Mode);
        Span.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>Per-output-pixel windows: the first source index, the count, and <see cref="Size"/> fixed-point weights each.</summary>
    internal sealed class Coefficients
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required int[] Weights { get; init; }
        public required int Size { get; init; }

        /// <summary>The weights mapping <paramref name="inSize"/> samples onto <paramref name="outSize"/>.</summary>
        public static Coefficients Compute(int inSize, int outSize, ResizeFilter filter)
        {
            double filterSupport = filter == ResizeFilter.Area ? 0.5 : 1.0;
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);  // widen the filter when reducing
            double support = filterSupport * filterScale;
            int size = (int)Math.Ceiling(support) * 2 + 1;
            double inverse = 1.0 / filterScale;

            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * size];
            Span<double> k = size <= 512 ? stackalloc double[size] : new double[size];
            for (int o = 0; o < outSize; o++)
            {
                double center = (o + 0.5) * scale;
                // (int) truncates toward zero, as the C cast does; the clamps make it a floor.
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), inSize) - min;
                double total = 0;
                for (int i = 0; i < max; i++)
                {
                    double w = Kernel(filter, (i + min - center + 0.5) * inverse);
                    k[i] = w;
                    total += w;
                }
                var dst = weights.AsSpan(o * size, size);
                for (int i = 0; i < max; i++)
                {
                    double w = total != 0.0 ? k[i] / total : k[i];
                    dst[i] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
                }
                start[o] = min;
                count[o] = max;
            }
            return new Coefficients { Start = start, Count = count, Weights = weights, Size = size };
        }

        private static double Kernel(ResizeFilter filter, double x)
        {
            if (filter == ResizeFilter.Area) return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip8(int sum)
    {
        int v = sum >> PrecisionBits;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }

    /// <summary>
    /// Rows <paramref name="firstRow"/>.. of <paramref name="source"/> resampled across into every row of <paramref name="output"/>.
    /// Vectorized (Vector128&lt;int&gt;) over the channels of one pixel for RGB and RGBA: each tap loads the
    /// pixel's bytes into the lanes and multiply-adds the broadcast weight; L (one channel) is scalar.
    /// </summary>
    private static void ResampleHorizontal(Image source, Image output, int firstRow, Coefficients k)
    {
        int channels = source.Channels;
        ReadOnlySpan<byte> all = source.Span;
        int[] weights = k.Weights;
        bool vector = channels >= 3 && Vector128.IsHardwareAccelerated;
        var half = Vector128.Create(1 << (PrecisionBits - 1));
        var zero = Vector128<int>.Zero;
        var max = Vector128.Create(255);
        Span<int> lanes = stackalloc int[4];

        for (int y = 0; y < output.Height; y++)
        {
            int rowStart = (y + firstRow) * source.Stride;
            ReadOnlySpan<byte> src = all[rowStart..];  // to the end of the image, so a 4-byte RGB load stays inside
            Span<byte> dst = output.Row(y);
            for (int o = 0; o < output.Width; o++)
            {
                int min = k.Start[o], n = k.Count[o];
                ReadOnlySpan<int> w = weights.AsSpan(o * k.Size, n);
                int d = o * channels;
                if (vector)
                {
                    var acc = half;
                    int s = min * channels;
                    for (int i = 0; i < n; i++, s += channels)
                    {
                        Vector128<int> px;
                        if (s + 4 <= src.Length)
                        {
                            uint bytes = Unsafe.ReadUnaligned<uint>(ref Unsafe.AsRef(in src[s]));
                            px = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(bytes).AsByte())).AsInt32();
                        }
                        else
                        {
                            px = Vector128.Create(src[s], src[s + 1], src[s + 2], 0);  // last RGB pixel of the image
                        }
                        acc += px * w[i];
                    }
                    var clipped = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(acc, PrecisionBits), zero), max);
                    clipped.CopyTo(lanes);
                    for (int c = 0; c < channels; c++) dst[d + c] = (byte)lanes[c];
                }
                else
                {
                    for (int c = 0; c < channels; c++)
                    {
                        int sum = 1 << (PrecisionBits - 1);
                        for (int i = 0; i < n; i++) sum += src[(min + i) * channels + c] * w[i];
                        dst[d + c] = Clip8(sum);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Every row of <paramref name="output"/> as a weighted sum of whole rows of <paramref name="source"/>
    /// (whose row 0 is source row <paramref name="firstRow"/> of the coefficient windows).
    /// Vectorized over the row's bytes: 32 bytes at a time widened to four Vector256&lt;int&gt; accumulators
    /// (16 bytes into four Vector128&lt;int&gt; where only 128-bit vectors are fast), scalar tail.
    /// </summary>
    private static void ResampleVertical(Image source, Image output, int firstRow, Coefficients k)
    {
        int stride = source.Stride;
        ReadOnlySpan<byte> src = source.Span;
        ref byte srcRef = ref MemoryMarshal.GetReference(src);
        for (int y = 0; y < output.Height; y++)
        {
            int min = k.Start[y] - firstRow, n = k.Count[y];
            ReadOnlySpan<int> w = k.Weights.AsSpan(y * k.Size, n);
            Span<byte> dst = output.Row(y);
            ref byte dstRef = ref MemoryMarshal.GetReference(dst);
            int x = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var half = Vector256.Create(1 << (PrecisionBits - 1));
                var max = Vector256.Create(255);
                for (; x + 32 <= stride; x += 32)
                {
                    Vector256<int> a0 = half, a1 = half, a2 = half, a3 = half;
                    for (int i = 0; i < n; i++)
                    {
                        var bytes = Vector256.LoadUnsafe(ref srcRef, (nuint)((min + i) * stride + x));
                        var (lo, hi) = Vector256.Widen(bytes);
                        var (p0, p1) = Vector256.Widen(lo);
                        var (p2, p3) = Vector256.Widen(hi);
                        var wi = Vector256.Create(w[i]);
                        a0 += p0.AsInt32() * wi;
                        a1 += p1.AsInt32() * wi;
                        a2 += p2.AsInt32() * wi;
                        a3 += p3.AsInt32() * wi;
                    }
                    a0 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a0, PrecisionBits), Vector256<int>.Zero), max);
                    a1 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a1, PrecisionBits), Vector256<int>.Zero), max);
                    a2 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a2, PrecisionBits), Vector256<int>.Zero), max);
                    a3 = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a3, PrecisionBits), Vector256<int>.Zero), max);
                    var packed = Vector256.Narrow(
                        Vector256.Narrow(a0.AsUInt32(), a1.AsUInt32()),
                        Vector256.Narrow(a2.AsUInt32(), a3.AsUInt32()));
                    packed.StoreUnsafe(ref dstRef, (nuint)x);
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var half = Vector128.Create(1 << (PrecisionBits - 1));
                var max = Vector128.Create(255);
                for (; x + 16 <= stride; x += 16)
                {
                    Vector128<int> a0 = half, a1 = half, a2 = half, a3 = half;
                    for (int i = 0; i < n; i++)
                    {
                        var bytes = Vector128.LoadUnsafe(ref srcRef, (nuint)((min + i) * stride + x));
                        var (lo, hi) = Vector128.Widen(bytes);
                        var (p0, p1) = Vector128.Widen(lo);
                        var (p2, p3) = Vector128.Widen(hi);
                        var wi = Vector128.Create(w[i]);
                        a0 += p0.AsInt32() * wi;
                        a1 += p1.AsInt32() * wi;
                        a2 += p2.AsInt32() * wi;
                        a3 += p3.AsInt32() * wi;
                    }
                    a0 = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(a0, PrecisionBits), Vector128<int>.Zero), max);
                    a1 = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(a1, PrecisionBits), Vector128<int>.Zero), max);
                    a2 = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(a2, PrecisionBits), Vector128<int>.Zero), max);
                    a3 = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(a3, PrecisionBits), Vector128<int>.Zero), max);
                    var packed = Vector128.Narrow(
                        Vector128.Narrow(a0.AsUInt32(), a1.AsUInt32()),
                        Vector128.Narrow(a2.AsUInt32(), a3.AsUInt32()));
                    packed.StoreUnsafe(ref dstRef, (nuint)x);
                }
            }
            for (; x < stride; x++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int i = 0; i < n; i++) sum += src[(min + i) * stride + x] * w[i];
                dst[x] = Clip8(sum);
            }
        }
    }
}
