using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    public Image Resize(int width, int height, ResizeFilter filter = ResizeFilter.Bilinear) =>
        ResizeCrop(width, height, 0, 0, width, height, filter);

    /// <summary>
    /// The <paramref name="cropWidth"/>×<paramref name="cropHeight"/> window at (<paramref name="left"/>,
    /// <paramref name="top"/>) of <see cref="Resize"/>(<paramref name="width"/>, <paramref name="height"/>,
    /// <paramref name="filter"/>), byte for byte, computed without the rest of the resized image: the
    /// weights are those of the full <paramref name="width"/>×<paramref name="height"/> resize (an output
    /// pixel depends only on its own weight window), evaluated only for the window's columns and rows, and
    /// the horizontal pass reads only the source rows the window's rows need. The window must lie inside
    /// the resized image. The caller disposes the result.
    /// </summary>
    public Image ResizeCrop(int width, int height, int left, int top, int cropWidth, int cropHeight,
                            ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropHeight);
        if (left < 0 || top < 0 || (long)left + cropWidth > width || (long)top + cropHeight > height)
            throw new ArgumentOutOfRangeException(nameof(left),
                $"The window {cropWidth}x{cropHeight} at ({left}, {top}) does not lie inside the {width}x{height} resized image.");
        if (filter is not (ResizeFilter.Bilinear or ResizeFilter.Area))
            throw new ArgumentOutOfRangeException(nameof(filter), filter, "The filter must be Bilinear or Area.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);

        if (width == Width && height == Height) return CropOrPad(left, top, cropWidth, cropHeight);
        var window = new Window(width, height, left, top, cropWidth, cropHeight);
        if (Mode != PixelMode.RGBA) return ResampleSeparable(window, filter);
        using var premultiplied = Copy();
        premultiplied.PremultiplyAlpha();
        var result = premultiplied.ResampleSeparable(window, filter);
        result.UnpremultiplyAlpha();
        return result;
    }

    /// <summary>The <see cref="Width"/> × <see cref="Height"/> output the weights are computed for, and the part of it that is evaluated.</summary>
    private readonly record struct Window(int Width, int Height, int Left, int Top, int CropWidth, int CropHeight);

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

    /// <summary>The two passes of <see cref="ResizeCrop"/> over <paramref name="window"/>, each skipped when its axis keeps its size.</summary>
    private Image ResampleSeparable(Window window, ResizeFilter filter)
    {
        bool horizontal = window.Width != Width, vertical = window.Height != Height;

        var kx = horizontal ? Coefficients.Compute(Width, window.Width, filter, window.Left, window.CropWidth) : null;
        var ky = vertical ? Coefficients.Compute(Height, window.Height, filter, window.Top, window.CropHeight) : null;
        if (!vertical)
        {
            var output = Create(window.CropWidth, window.CropHeight, Mode);
            ResampleHorizontal(this, output, window.Top, kx!);
            return output;
        }
        if (!horizontal)
        {
            var output = Create(window.CropWidth, window.CropHeight, Mode);
            ResampleVertical(this, output, 0, window.Left, ky!);
            return output;
        }

        // Only the source rows some output row reads go through the horizontal pass.
        int rows = window.CropHeight;
        int first = ky!.Start[0];
        int last = ky.Start[rows - 1] + ky.Count[rows - 1];
        using var temp = Create(window.CropWidth, last - first, Mode);
        ResampleHorizontal(this, temp, first, kx!);
        var result = Create(window.CropWidth, rows, Mode);
        ResampleVertical(temp, result, first, 0, ky);
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

    /// <summary>
    /// Per-output-pixel windows: the first source index, the count, and <see cref="Size"/> fixed-point weights each,
    /// for a run of consecutive output pixels (entry 0 is the run's first output pixel).
    /// </summary>
    internal sealed class Coefficients
    {
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required int[] Weights { get; init; }
        public required int Size { get; init; }

        /// <summary>
        /// The weights mapping <paramref name="inSize"/> samples onto <paramref name="outSize"/>, for the
        /// <paramref name="count"/> output pixels from <paramref name="first"/> on: each is computed from the
        /// full sizes exactly as when all <paramref name="outSize"/> are, so a run gives the same weights as
        /// the matching entries of the whole.
        /// </summary>
        public static Coefficients Compute(int inSize, int outSize, ResizeFilter filter, int first, int count)
        {
            double filterSupport = filter == ResizeFilter.Area ? 0.5 : 1.0;
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);  // widen the filter when reducing
            double support = filterSupport * filterScale;
            int size = (int)Math.Ceiling(support) * 2 + 1;
            double inverse = 1.0 / filterScale;

            var start = new int[count];
            var counts = new int[count];
            var weights = new int[count * size];
            Span<double> k = size <= 512 ? stackalloc double[size] : new double[size];
            for (int j = 0; j < count; j++)
            {
                int o = first + j;
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
                var dst = weights.AsSpan(j * size, size);
                for (int i = 0; i < max; i++)
                {
                    double w = total != 0.0 ? k[i] / total : k[i];
                    dst[i] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
                }
                start[j] = min;
                counts[j] = max;
            }
            return new Coefficients { Start = start, Count = counts, Weights = weights, Size = size };
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
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
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
            int o = vector && Avx2.IsSupported ? ResampleHorizontalPairs(src, output.Span[(y * output.Stride)..], output.Width, channels, k) : 0;
            for (; o < output.Width; o++)
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
    /// The horizontal pass for output pixels two at a time with AVX2: pixel o in the low four int lanes, o + 1 in
    /// the high four, one multiply-add per tap for both (a pixel with fewer taps than its neighbour multiplies
    /// zero weights: the rows past a window's count are zero). Returns the first output pixel it did not write:
    /// it stops where a 4-byte load or store would leave <paramref name="src"/> or <paramref name="dst"/>, which
    /// run to the end of their images (stores of 3-byte pixels write a fourth byte that the next pixel, or the
    /// next row, overwrites). The arithmetic is the scalar path's, so the output is the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int ResampleHorizontalPairs(ReadOnlySpan<byte> src, Span<byte> dst, int width, int channels, Coefficients k)
    {
        int size = k.Size;
        var half = Vector256.Create(1 << (PrecisionBits - 1));
        int o = 0;
        fixed (byte* s = src)
        fixed (byte* d = dst)
        fixed (int* start = k.Start, count = k.Count, weights = k.Weights)
        {
            for (; o + 1 < width; o += 2)
            {
                int min0 = start[o], min1 = start[o + 1];
                int n = Math.Max(count[o], count[o + 1]);
                if ((long)(Math.Max(min0, min1) + n - 1) * channels + 4 > src.Length) break;
                if ((long)(o + 1) * channels + 4 > dst.Length) break;
                int* w0 = weights + o * size;
                int* w1 = w0 + size;
                byte* p0 = s + min0 * channels;
                byte* p1 = s + min1 * channels;
                Vector256<int> acc = half;
                for (int i = 0; i < n; i++, p0 += channels, p1 += channels)
                {
                    var bytes = Vector128.Create(Unsafe.ReadUnaligned<uint>(p0), Unsafe.ReadUnaligned<uint>(p1), 0, 0).AsByte();
                    var w = Vector256.Create(Vector128.Create(w0[i]), Vector128.Create(w1[i]));
                    acc += Avx2.ConvertToVector256Int32(bytes) * w;
                }
                acc = Vector256.ShiftRightArithmetic(acc, PrecisionBits);
                // Saturating packs clamp to 0..255 as Clip8 does: int -> short -> byte.
                var words = Sse2.PackSignedSaturate(acc.GetLower(), acc.GetUpper());
                var packed = Sse2.PackUnsignedSaturate(words, words).AsUInt32();
                Unsafe.WriteUnaligned(d + o * channels, packed.ToScalar());
                Unsafe.WriteUnaligned(d + (o + 1) * channels, packed.GetElement(1));
            }
        }
        return o;
    }

    /// <summary>
    /// Every row of <paramref name="output"/> as a weighted sum of rows of <paramref name="source"/> (whose row 0
    /// is source row <paramref name="firstRow"/> of the coefficient windows), each read from column
    /// <paramref name="firstColumn"/> on for <paramref name="output"/>'s width.
    /// Vectorized over the row's bytes: 32 bytes at a time widened to four Vector256&lt;int&gt; accumulators
    /// (16 bytes into four Vector128&lt;int&gt; where only 128-bit vectors are fast), scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ResampleVertical(Image source, Image output, int firstRow, int firstColumn, Coefficients k)
    {
        int stride = source.Stride, rowBytes = output.Stride;
        ReadOnlySpan<byte> src = source.Span[(firstColumn * source.Channels)..];
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
                for (; x + 32 <= rowBytes; x += 32)
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
                for (; x + 16 <= rowBytes; x += 16)
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
            for (; x < rowBytes; x++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int i = 0; i < n; i++) sum += src[(min + i) * stride + x] * w[i];
                dst[x] = Clip8(sum);
            }
        }
    }
}
