using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sluice.Interop;

namespace Sluice.Media;

/// <summary>
/// PNG decoding for the common case without libspng: 8-bit grayscale, RGB or RGBA, not interlaced, the
/// chunks as <see cref="PngChunks"/> read them (every CRC right; the chunks it sets aside are ignored here too). The IDAT stream is inflated whole by libdeflate (Adler-32 checked) and unfiltered here,
/// Paeth with Vector128 one pixel at a time. Debian's libspng 0.7.3 unfilters byte by byte with a branch per
/// predictor choice; on the benchmark corpus that was 18% of all preprocessing CPU and zlib's inflate another 15%.
/// <para>
/// Anything outside the fast path, and anything wrong with the file, returns <c>null</c> before or after
/// work and the caller decodes with libspng, which owns the error message: a bad file costs one more try,
/// never a different verdict. The output equals libspng's byte for byte (a test decodes both ways).
/// </para>
/// </summary>
internal static unsafe class PngFastPath
{
    private static int s_available; // 0 unknown, 1 yes, -1 no (libdeflate missing: libspng does everything)

    private static bool Available
    {
        get
        {
            int a = Volatile.Read(ref s_available);
            if (a == 0)
            {
                MediaLibraries.EnsureRegistered();
                a = NativeLibraries.IsAvailable("deflate") ? 1 : -1;
                Volatile.Write(ref s_available, a);
            }
            return a > 0;
        }
    }

    /// <summary>
    /// Decodes <paramref name="png"/> (whose signature the caller checked) to <paramref name="mode"/>, or returns
    /// null when libspng should. Throws only <see cref="ImageDecodeException"/> for a header over <paramref name="maxPixels"/>.
    /// </summary>
    internal static Image? TryDecode(ReadOnlySpan<byte> png, PixelMode mode, long maxPixels) =>
        TryDecode(png, PngChunks.Read(png), mode, maxPixels);

    /// <summary>As <see cref="TryDecode(ReadOnlySpan{byte}, PixelMode, long)"/> with the chunks already read: only those <paramref name="layout"/> keeps are decoded.</summary>
    internal static Image? TryDecode(ReadOnlySpan<byte> png, PngChunks layout, PixelMode mode, long maxPixels)
    {
        if (layout.Width is > 0 and <= int.MaxValue && layout.Height is > 0 and <= int.MaxValue)
            Image.CheckPixels(ImageFormat.Png, layout.Width, layout.Height, maxPixels);
        if (!Available || !layout.Readable) return null;
        if (layout.BitDepth != 8 || layout.ColorType is not (0 or 2 or 6) || layout.Interlace != 0) return null;
        if (layout.Trns >= 0 && mode == PixelMode.RGBA) return null; // alpha from tRNS: libspng's job
        fixed (byte* file = png)
            return TryDecode(file, layout, mode);
    }

    private static Image? TryDecode(byte* file, PngChunks layout, PixelMode mode)
    {
        uint width = layout.Width, height = layout.Height;
        int bpp = layout.ColorType switch { 0 => 1, 2 => 3, _ => 4 };
        int firstIdat = layout.FirstIdat, idatChunks = layout.IdatChunks;
        long idatBytes = layout.IdatBytes;

        long rowBytes = (long)width * bpp;
        long rawSize = (rowBytes + 1) * height;
        int outChannels = (int)mode;
        if (rawSize + 8 > Array.MaxLength || (long)width * height * outChannels > Array.MaxLength) return null;

        Blob? joined = null;
        Blob raw = Blob.Rent((int)rawSize + 8); // +8: the vector Paeth reads 4 bytes at the last pixel of a row
        Image? image = null;
        try
        {
            if (idatChunks == 1) return Finish(file + firstIdat + 8);
            joined = Blob.Rent((int)idatBytes);
            fixed (byte* j = joined.Span)
            {
                byte* to = j;
                for (int p = firstIdat, n = 0; n < idatChunks; n++)
                {
                    int len = (int)BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(file + p, 4)); // checked above
                    Buffer.MemoryCopy(file + p + 8, to, len, len);
                    to += len;
                    p += 12 + len;
                }
                return Finish(j);
            }

            Image? Finish(byte* zlib)
            {
                fixed (byte* r = raw.Span)
                {
                    nuint actual;
                    int rc = LibDeflate.libdeflate_zlib_decompress(LibDeflate.Decompressor, zlib, (nuint)idatBytes, r, (nuint)rawSize, &actual);
                    if (rc != LibDeflate.LIBDEFLATE_SUCCESS || actual != (nuint)rawSize) return null;
                    image = Image.Create((int)width, (int)height, mode);
                    if (!Unfilter(r, (int)width, (int)height, bpp, image)) { image.Dispose(); image = null; }
                    return image;
                }
            }
        }
        catch
        {
            image?.Dispose();
            throw;
        }
        finally
        {
            raw.Dispose();
            joined?.Dispose();
        }
    }

    /// <summary>Unfilters the rows in place in <paramref name="raw"/> and writes each into <paramref name="image"/>; false on an unknown filter type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Unfilter(byte* raw, int width, int height, int bpp, Image image)
    {
        int rowBytes = width * bpp;
        byte* prev = null;
        for (int y = 0; y < height; y++)
        {
            byte* row = raw + (long)y * (rowBytes + 1);
            byte filter = row[0];
            byte* cur = row + 1;
            if (filter > 4) return false;
            if (prev is null)
            {
                // The first row: the row above counts as zeros, so Up is None and Paeth predicts the left byte (Sub).
                if (filter is 1 or 4) Sub(cur, rowBytes, bpp);
                else if (filter == 3) AverageFirstRow(cur, rowBytes, bpp);
            }
            else if (filter == 2) Up(cur, prev, rowBytes);
            else if (filter != 0)
            {
                if (bpp == 1) UnfilterBytes(cur, prev, rowBytes, filter);
                else UnfilterPixels(cur, prev, rowBytes, bpp, filter);
            }
            WriteRow(new ReadOnlySpan<byte>(cur, rowBytes), bpp, image.Row(y));
            prev = cur;
        }
        return true;
    }

    private static void Sub(byte* cur, int n, int bpp)
    {
        for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp];
    }

    private static void AverageFirstRow(byte* cur, int n, int bpp)
    {
        for (int i = bpp; i < n; i++) cur[i] += (byte)(cur[i - bpp] >> 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Up(byte* cur, byte* prev, int n)
    {
        int i = 0;
        for (; i <= n - Vector256<byte>.Count; i += Vector256<byte>.Count)
            Vector256.Store(Vector256.Load(cur + i) + Vector256.Load(prev + i), cur + i);
        for (; i < n; i++) cur[i] += prev[i];
    }

    /// <summary>Sub, Average or Paeth for one byte per pixel (grayscale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnfilterBytes(byte* cur, byte* prev, int n, byte filter)
    {
        int a = 0, c = 0;
        for (int i = 0; i < n; i++)
        {
            int b = prev[i];
            int predictor = filter switch
            {
                1 => a,
                3 => (a + b) >> 1,
                _ => PaethPredictor(a, b, c),
            };
            a = (byte)(cur[i] + predictor);
            cur[i] = (byte)a;
            c = b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PaethPredictor(int a, int b, int c)
    {
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>
    /// Sub (1), Average (3) or Paeth (4) for 3 or 4 bytes per pixel, one pixel per step in 16-bit lanes: the
    /// left pixel stays in a register, the only dependency between steps. Reads 4 bytes per pixel, so with 3
    /// bytes per pixel it reads one byte past the row (the next row's filter byte, or the buffer's spare bytes),
    /// and stores only the pixel's own bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnfilterPixels(byte* cur, byte* prev, int n, int bpp, byte filter)
    {
        Vector128<short> a = Vector128<short>.Zero, c = Vector128<short>.Zero;
        Vector128<short> low = Vector128.Create((short)0xFF);
        for (int i = 0; i < n; i += bpp)
        {
            Vector128<short> x = Widen(Unsafe.ReadUnaligned<uint>(cur + i));
            Vector128<short> predictor;
            if (filter == 1)
            {
                predictor = a;
            }
            else
            {
                Vector128<short> b = Widen(Unsafe.ReadUnaligned<uint>(prev + i));
                if (filter == 3)
                {
                    predictor = (a + b) >>> 1;
                }
                else
                {
                    Vector128<short> pa = Vector128.Abs(b - c);
                    Vector128<short> pb = Vector128.Abs(a - c);
                    Vector128<short> pc = Vector128.Abs(a + b - c - c);
                    Vector128<short> useA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
                    Vector128<short> useB = Vector128.LessThanOrEqual(pb, pc);
                    predictor = Vector128.ConditionalSelect(useA, a, Vector128.ConditionalSelect(useB, b, c));
                }
                c = b;
            }
            a = (x + predictor) & low;
            uint result = Vector128.Narrow(a.AsUInt16(), a.AsUInt16()).AsUInt32().ToScalar();
            // Three bytes are stored as three: a 4-byte store would overlap the next step's 4-byte load, which
            // then cannot be forwarded from the store and stalls (measured 2.4x slower per row).
            if (bpp == 3)
            {
                Unsafe.WriteUnaligned(cur + i, (ushort)result);
                cur[i + 2] = (byte)(result >> 16);
            }
            else
            {
                Unsafe.WriteUnaligned(cur + i, result);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Widen(uint fourBytes) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(fourBytes).AsByte()).AsInt16();

    /// <summary>Copies an unfiltered row into the image, converting the channels as libspng does (alpha dropped, gray replicated, 601 luma for L).</summary>
    private static void WriteRow(ReadOnlySpan<byte> src, int srcChannels, Span<byte> dst)
    {
        int dstChannels = dst.Length / (src.Length / srcChannels);
        if (srcChannels == dstChannels) { src.CopyTo(dst); return; }
        int pixels = src.Length / srcChannels;
        switch (srcChannels, dstChannels)
        {
            case (4, 3):
                for (int p = 0; p < pixels; p++) { dst[p * 3] = src[p * 4]; dst[p * 3 + 1] = src[p * 4 + 1]; dst[p * 3 + 2] = src[p * 4 + 2]; }
                break;
            case (3, 4):
                for (int p = 0; p < pixels; p++) { dst[p * 4] = src[p * 3]; dst[p * 4 + 1] = src[p * 3 + 1]; dst[p * 4 + 2] = src[p * 3 + 2]; dst[p * 4 + 3] = 255; }
                break;
            case (1, 3):
                for (int p = 0; p < pixels; p++) dst[p * 3] = dst[p * 3 + 1] = dst[p * 3 + 2] = src[p];
                break;
            case (1, 4):
                for (int p = 0; p < pixels; p++) { dst[p * 4] = dst[p * 4 + 1] = dst[p * 4 + 2] = src[p]; dst[p * 4 + 3] = 255; }
                break;
            default: // (3 or 4, 1)
                for (int p = 0; p < pixels; p++)
                {
                    int s = p * srcChannels;
                    dst[p] = Image.Luma(src[s], src[s + 1], src[s + 2]);
                }
                break;
        }
    }
}
