using System.Runtime.InteropServices;
using Sluice.Interop;

namespace Sluice.Media;

/// <summary>An encoded image format, detected from the first bytes.</summary>
public enum ImageFormat
{
    /// <summary>Not a format Sluice decodes.</summary>
    Unknown = 0,

    /// <summary>JPEG (starts FF D8 FF), decoded by libjpeg-turbo.</summary>
    Jpeg,

    /// <summary>PNG (starts 89 50 4E 47 0D 0A 1A 0A), decoded by libspng.</summary>
    Png,
}

/// <summary>Thrown when bytes cannot be decoded as an image: empty, truncated, corrupt, an unknown format or too many pixels.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception; the message names the format, the dimensions when known, and the reason.</summary>
    public ImageDecodeException(ImageFormat format, string reason, int? width = null, int? height = null, Exception? inner = null)
        : base(Describe(format, reason, width, height), inner)
    {
        Format = format;
        Reason = reason;
        Width = width;
        Height = height;
    }

    /// <summary>The detected format (<see cref="ImageFormat.Unknown"/> when none was recognised).</summary>
    public ImageFormat Format { get; }

    /// <summary>Why decoding failed, without the format and dimensions.</summary>
    public string Reason { get; }

    /// <summary>The width the header declared, when it was read.</summary>
    public int? Width { get; }

    /// <summary>The height the header declared, when it was read.</summary>
    public int? Height { get; }

    private static string Describe(ImageFormat format, string reason, int? width, int? height)
    {
        string what = format == ImageFormat.Unknown ? "image" : $"{format.ToString().ToUpperInvariant()} image";
        string dims = width is not null && height is not null ? $" ({width}x{height})" : "";
        return $"Cannot decode the {what}{dims}: {reason}";
    }
}

public sealed partial class Image
{
    /// <summary>The default pixel limit of <see cref="Decode"/> (like Pillow's decompression-bomb guard).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    private static ReadOnlySpan<byte> PngMagic => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format of <paramref name="bytes"/> by its magic bytes.</summary>
    public static ImageFormat DetectFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat.Jpeg;
        if (bytes.StartsWith(PngMagic)) return ImageFormat.Png;
        return ImageFormat.Unknown;
    }

    /// <summary>
    /// Decodes a JPEG or PNG. <paramref name="shrinkTo"/> &gt; 0 lets a JPEG decode at the smallest
    /// libjpeg-turbo DCT scale (1/2, 1/4 or 1/8) whose shorter side is still at least <paramref name="shrinkTo"/>
    /// (shrink on load: less work and memory; resize afterwards for exact sizes). The header's
    /// width × height is checked against <paramref name="maxPixels"/> before anything is allocated.
    /// Every failure is an <see cref="ImageDecodeException"/>.
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> bytes, int shrinkTo = 0, PixelMode mode = PixelMode.RGB, long maxPixels = DefaultMaxPixels)
    {
        if (mode is not (PixelMode.L or PixelMode.RGB or PixelMode.RGBA))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "The pixel mode must be L, RGB or RGBA.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        if (bytes.IsEmpty) throw new ImageDecodeException(ImageFormat.Unknown, "the input is empty (0 bytes).");
        return DetectFormat(bytes) switch
        {
            ImageFormat.Jpeg => DecodeJpeg(bytes, shrinkTo, mode, maxPixels),
            ImageFormat.Png => DecodePng(bytes, mode, maxPixels),
            _ => throw new ImageDecodeException(ImageFormat.Unknown,
                $"unknown format ({Describe(bytes)}, {bytes.Length:N0} bytes); only JPEG and PNG are supported."),
        };
    }

    /// <summary>
    /// What the signature of a file that is no JPEG or PNG says it is. Only the name: messages go to dead letters
    /// and logs, and must not carry a file's content bytes.
    /// </summary>
    internal static string Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)) return "a GIF image";
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8)) return "a WebP image";
        if (bytes.StartsWith("BM"u8)) return "a BMP image";
        if (bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8)) return "a TIFF image";
        if (bytes.Length >= 12 && bytes[4..8].SequenceEqual("ftyp"u8))
            return bytes[8..12].SequenceEqual("avif"u8) ? "an AVIF image" : bytes[8..11].SequenceEqual("hei"u8) || bytes[8..12].SequenceEqual("mif1"u8) ? "a HEIF image" : "an ISO media file";
        if (bytes.StartsWith("%PDF"u8)) return "a PDF document";
        var head = bytes.TrimStart(" \t\r\n"u8);
        if (head.StartsWith("\uFEFF"u8)) head = head[3..];
        if (head.StartsWith("<"u8)) return "markup such as HTML or XML, perhaps an error page";
        if (head.StartsWith("{"u8) || head.StartsWith("["u8)) return "JSON text";
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B) return "gzip data";
        return "not an image signature Sluice knows";
    }

    /// <summary>The scale a JPEG of <paramref name="width"/>×<paramref name="height"/> decodes at for <paramref name="shrinkTo"/>.</summary>
    internal static (int Num, int Denom) JpegScaleFor(int width, int height, int shrinkTo)
    {
        (int num, int denom) best = (1, 1);
        if (shrinkTo <= 0) return best;
        foreach (var f in LibTurboJpeg.ScalingFactors)
        {
            // Only 1/2, 1/4 and 1/8: libjpeg-turbo has SIMD inverse DCTs for those (and 1/1); the other M/8
            // scales (7/8, 3/4, 5/8, 3/8) run its plain C ones. Measured on the benchmark corpus, decoding at
            // 1/1 or 1/2 and resizing the rest was 9% faster than decoding at 7/8 or 3/4; they are also the
            // scales Pillow's draft mode uses.
            if (f.Num != 1 || f.Denom <= 1) continue;
            if (Math.Min(f.Scale(width), f.Scale(height)) < shrinkTo) continue;
            if ((long)f.Num * best.denom < (long)best.num * f.Denom) best = (f.Num, f.Denom);
        }
        return best;
    }

    internal static void CheckPixels(ImageFormat format, long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue)
            throw new ImageDecodeException(format, $"the header declares invalid dimensions {width}x{height}.");
        long pixels = width * height;
        if (pixels > maxPixels)
            throw new ImageDecodeException(format,
                $"{pixels:N0} pixels exceed the limit of {maxPixels:N0} (a decompression bomb or a corrupt header; raise maxPixels to allow it).",
                (int)width, (int)height);
    }

    private static Image DecodeJpeg(ReadOnlySpan<byte> bytes, int shrinkTo, PixelMode mode, long maxPixels)
    {
        try
        {
            return DecodeJpegCore(bytes, shrinkTo, mode, maxPixels);
        }
        catch (ImageDecodeException)
        {
            LibTurboJpeg.ResetDecompressor(); // a fresh handle for the next image
            throw;
        }
    }

    private static unsafe Image DecodeJpegCore(ReadOnlySpan<byte> bytes, int shrinkTo, PixelMode mode, long maxPixels)
    {
        var tj = LibTurboJpeg.Decompressor;
        var size = new CULong((nuint)bytes.Length);
        fixed (byte* src = bytes)
        {
            if (LibTurboJpeg.tjDecompressHeader3(tj, src, size, out int width, out int height, out _, out int colorspace) != 0
                && !(LibTurboJpeg.tjGetErrorCode(tj) == LibTurboJpeg.TJERR_WARNING && IsBenignJpegWarning(LibTurboJpeg.ErrorString(tj)) && width > 0 && height > 0))
                throw new ImageDecodeException(ImageFormat.Jpeg, $"corrupt or truncated header: {LibTurboJpeg.ErrorString(tj)}.");
            CheckPixels(ImageFormat.Jpeg, width, height, maxPixels);
            bool cmyk = colorspace is LibTurboJpeg.TJCS_CMYK or LibTurboJpeg.TJCS_YCCK;
            // One answer per file: tables come from the file or the decode fails as in a fresh process, and a scan
            // bomb is refused before the work (JpegStructure).
            var structure = JpegStructure.Read(bytes);
            if (!structure.HasQuantTables)
                throw new ImageDecodeException(ImageFormat.Jpeg, "no quantization table (DQT) before the first scan: an abbreviated stream without its tables.", width, height);
            if (structure.UsesUndefinedTables || (!structure.HasHuffmanTables && !structure.Arithmetic))
            {
                // A scan uses a table the file does not define before it: a reused handle would take the last file's.
                // A fresh one does what a fresh process does: the standard Huffman tables (Motion-JPEG), or libjpeg's
                // error for a quantization table that is not there.
                LibTurboJpeg.ResetDecompressor();
                tj = LibTurboJpeg.Decompressor;
                if (LibTurboJpeg.tjDecompressHeader3(tj, src, size, out _, out _, out _, out _) != 0
                    && !(LibTurboJpeg.tjGetErrorCode(tj) == LibTurboJpeg.TJERR_WARNING && IsBenignJpegWarning(LibTurboJpeg.ErrorString(tj))))
                    throw new ImageDecodeException(ImageFormat.Jpeg, $"corrupt or truncated header: {LibTurboJpeg.ErrorString(tj)}.");
            }
            if (structure.Progressive && (long)width * height * structure.Scans > JpegStructure.MaxProgressiveWork)
                throw new ImageDecodeException(ImageFormat.Jpeg,
                    $"a progressive JPEG of {structure.Scans:N0} scans over {width}x{height} pixels ({(double)width * height * structure.Scans:0.#e0} pixel-scans, " +
                    $"more than {JpegStructure.MaxProgressiveWork:0.#e0}): refused before decoding, as a decompression bomb.", width, height);

            var (num, denom) = JpegScaleFor(width, height, shrinkTo);
            var factor = new LibTurboJpeg.ScalingFactor { Num = num, Denom = denom };
            int w = factor.Scale(width), h = factor.Scale(height);
            // CMYK and YCCK (libjpeg turns YCCK into CMYK) decode to CMYK, then to RGB as Pillow converts them.
            int pixelFormat = cmyk ? LibTurboJpeg.TJPF_CMYK : mode switch
            {
                PixelMode.L => LibTurboJpeg.TJPF_GRAY,
                PixelMode.RGBA => LibTurboJpeg.TJPF_RGBA,
                _ => LibTurboJpeg.TJPF_RGB,
            };
            var image = CreateForDecode(ImageFormat.Jpeg, w, h, mode);
            Blob? cmykPixels = null;
            try
            {
                if (cmyk)
                {
                    if ((long)w * h * 4 > Array.MaxLength)
                        throw new ImageDecodeException(ImageFormat.Jpeg, $"{w}x{h} CMYK is larger than one buffer can hold.", width, height);
                    cmykPixels = Blob.Rent(w * h * 4);
                }
                int pitch = cmyk ? w * 4 : image.Stride;
                fixed (byte* dst = cmyk ? cmykPixels!.Span : image.Span)
                {
                    // Strict: a warning (e.g. "Premature end of JPEG file") fails too, so truncated files never
                    // pass as half-grey images. LIMITSCANS stops progressive files with thousands of scans.
                    if (LibTurboJpeg.tjDecompress2(tj, src, size, dst, w, pitch, h, pixelFormat,
                            LibTurboJpeg.TJFLAG_LIMITSCANS | LibTurboJpeg.TJFLAG_STOPONWARNING) != 0)
                    {
                        bool warning = LibTurboJpeg.tjGetErrorCode(tj) == LibTurboJpeg.TJERR_WARNING;
                        string message = LibTurboJpeg.ErrorString(tj);
                        // Stray bytes between segments lose no image data (Pillow and browsers read such files):
                        // decode again to the end, accepting that warning and no other, and record it.
                        string first = message;
                        if (!(warning && IsBenignJpegWarning(message) && DecodeAcceptingWarnings(tj, src, size, dst, w, pitch, h, pixelFormat, out message)))
                            throw new ImageDecodeException(ImageFormat.Jpeg, $"{(warning ? "truncated or damaged data" : "corrupt data")}: {message}.", width, height);
                        image.DecodeWarning = message.Length > 0 ? message : first; // the decode to the end may end without one
                    }
                }
                if (cmykPixels is not null) CmykToImage(cmykPixels.Span, image);
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
            finally
            {
                cmykPixels?.Dispose();
            }
        }
    }

    /// <summary>
    /// libjpeg's CMYK samples (as stored: Adobe's inverted convention, which Pillow assumes for every CMYK JPEG)
    /// to <paramref name="image"/>'s mode as Pillow converts CMYK to RGB: with c = 255 - stored cyan and
    /// nk = 255 - k = stored black, R = nk - c·nk/255 rounded as Pillow's MULDIV255; L is the 601 luma of that RGB.
    /// </summary>
    private static void CmykToImage(ReadOnlySpan<byte> cmyk, Image image)
    {
        var dst = image.Span;
        int channels = image.Channels, pixels = image.Width * image.Height;
        for (int p = 0; p < pixels; p++)
        {
            int s = p * 4, nk = cmyk[s + 3];
            byte r = Ink(cmyk[s], nk), g = Ink(cmyk[s + 1], nk), b = Ink(cmyk[s + 2], nk);
            int d = p * channels;
            if (channels == 1) { dst[d] = Luma(r, g, b); continue; }
            dst[d] = r;
            dst[d + 1] = g;
            dst[d + 2] = b;
            if (channels == 4) dst[d + 3] = 255;
        }

        static byte Ink(int stored, int nk)
        {
            int t = (255 - stored) * nk + 128;
            return (byte)(nk - (((t >> 8) + t) >> 8));
        }
    }

    /// <summary>libjpeg's warning for bytes that are no marker where a marker should be ("Corrupt JPEG data: 3 extraneous bytes before marker 0xc4").</summary>
    internal static bool IsBenignJpegWarning(string message) => message.Contains("extraneous bytes before marker", StringComparison.Ordinal);

    // Decodes without stopping at warnings; true when the decode ended and its last warning, if any, is a benign one.
    private static unsafe bool DecodeAcceptingWarnings(TurboJpegHandle tj, byte* src, CULong size, byte* dst, int w, int stride, int h, int pixelFormat, out string message)
    {
        message = "";
        if (LibTurboJpeg.tjDecompress2(tj, src, size, dst, w, stride, h, pixelFormat, LibTurboJpeg.TJFLAG_LIMITSCANS) == 0) return true;
        message = LibTurboJpeg.ErrorString(tj);
        return LibTurboJpeg.tjGetErrorCode(tj) == LibTurboJpeg.TJERR_WARNING && IsBenignJpegWarning(message);
    }

    private static Image DecodePng(ReadOnlySpan<byte> bytes, PixelMode mode, long maxPixels)
    {
        // One reading of the chunks for both decoders (PngChunks): a file gets one verdict whatever the mode.
        var layout = PngChunks.Read(bytes);
        var image = PngFastPath.TryDecode(bytes, layout, mode, maxPixels);
        if (image is null)
        {
            if (!layout.Readable || !layout.HasOtherChunks) return DecodePngWithSpng(bytes, mode, maxPixels);
            using var essential = layout.Essential(bytes);
            image = DecodePngWithSpng(essential.Span, mode, maxPixels);
        }
        image.DecodeWarning = layout.Warning;
        return image;
    }

    /// <summary>Decodes a PNG with libspng: every PNG the fast path leaves, and the error message for every bad one.</summary>
    internal static unsafe Image DecodePngWithSpng(ReadOnlySpan<byte> bytes, PixelMode mode, long maxPixels)
    {
        using var ctx = LibSpng.spng_ctx_new(0);
        if (ctx.IsInvalid) throw new InvalidOperationException("libspng could not create a decoder context (out of memory?).");
        uint limit = (uint)Math.Clamp(maxPixels, 1, int.MaxValue);
        Check(LibSpng.spng_set_image_limits(ctx, limit, limit), "setting image limits");
        // Cap one chunk, and the memory kept for ancillary chunks (text, ICC profiles), at 64 MiB.
        Check(LibSpng.spng_set_chunk_limits(ctx, 64 << 20, 64 << 20), "setting chunk limits");
        fixed (byte* src = bytes)
        {
            Check(LibSpng.spng_set_png_buffer(ctx, src, (nuint)bytes.Length), "reading the buffer");
            int rc = LibSpng.spng_get_ihdr(ctx, out var ihdr);
            if (rc != LibSpng.SPNG_OK)
                throw new ImageDecodeException(ImageFormat.Png, $"corrupt or truncated header: {LibSpng.ErrorString(rc)}.");
            CheckPixels(ImageFormat.Png, ihdr.Width, ihdr.Height, maxPixels);
            int width = (int)ihdr.Width, height = (int)ihdr.Height;

            int fmt = mode switch
            {
                PixelMode.L => LibSpng.SPNG_FMT_G8,
                PixelMode.RGBA => LibSpng.SPNG_FMT_RGBA8,
                _ => LibSpng.SPNG_FMT_RGB8,
            };
            // libspng makes G8 only from 8-bit-or-less grayscale; other sources go through RGB8.
            bool viaRgb = mode == PixelMode.L && LibSpng.spng_decoded_image_size(ctx, fmt, out _) != LibSpng.SPNG_OK;
            if (viaRgb) fmt = LibSpng.SPNG_FMT_RGB8;
            int channels = viaRgb ? 3 : (int)mode;

            rc = LibSpng.spng_decoded_image_size(ctx, fmt, out nuint len);
            if (rc != LibSpng.SPNG_OK)
                throw new ImageDecodeException(ImageFormat.Png, $"cannot decode to {mode}: {LibSpng.ErrorString(rc)}.", width, height);
            if (len != (nuint)((long)width * height * channels))
                throw new ImageDecodeException(ImageFormat.Png, $"unexpected decoded size {len} bytes.", width, height);

            var image = CreateForDecode(ImageFormat.Png, width, height, mode);
            Blob? rgb = null;
            try
            {
                if (viaRgb) rgb = Blob.Rent((int)len);
                fixed (byte* dst = viaRgb ? rgb!.Span : image.Span)
                {
                    rc = LibSpng.spng_decode_image(ctx, dst, len, fmt, mode == PixelMode.RGBA ? LibSpng.SPNG_DECODE_TRNS : 0);
                    if (rc != LibSpng.SPNG_OK)
                        throw new ImageDecodeException(ImageFormat.Png, $"corrupt or truncated data: {LibSpng.ErrorString(rc)}.", width, height);
                }
                if (rgb is not null) RgbToLuma(rgb.Span, image.Span);
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
            finally
            {
                rgb?.Dispose();
            }
        }

        static void Check(int rc, string what)
        {
            if (rc != LibSpng.SPNG_OK)
                throw new ImageDecodeException(ImageFormat.Png, $"{what} failed: {LibSpng.ErrorString(rc)}.");
        }
    }

    private static Image CreateForDecode(ImageFormat format, int width, int height, PixelMode mode)
    {
        if ((long)width * height * (int)mode > Array.MaxLength)
            throw new ImageDecodeException(format, $"{width}x{height} {mode} is larger than one buffer can hold.", width, height);
        return Create(width, height, mode);
    }

    /// <summary>ITU-R 601-2 luma, as Pillow converts RGB to L: (19595 R + 38470 G + 7471 B + 2^15) &gt;&gt; 16.</summary>
    private static void RgbToLuma(ReadOnlySpan<byte> rgb, Span<byte> luma)
    {
        for (int i = 0, j = 0; i < luma.Length; i++, j += 3)
            luma[i] = Luma(rgb[j], rgb[j + 1], rgb[j + 2]);
    }

    /// <summary>One pixel's ITU-R 601-2 luma (see <see cref="RgbToLuma"/>).</summary>
    internal static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>
    /// Encodes as JPEG with libjpeg-turbo (4:2:0 chroma subsampling for RGB, like Pillow's default) into a
    /// blob counted by the memory budget. RGBA cannot be written as JPEG (no alpha channel).
    /// </summary>
    public unsafe Blob EncodeJpeg(int quality = 90) => EncodeJpeg(quality, progressive: false);

    /// <summary>Encodes as JPEG (see <see cref="EncodeJpeg(int)"/>); <paramref name="progressive"/> writes a progressive file.</summary>
    public unsafe Blob EncodeJpeg(int quality, bool progressive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (Mode == PixelMode.RGBA)
            throw new NotSupportedException("JPEG has no alpha channel: an RGBA image cannot be written as JPEG; convert it to RGB first.");
        var tj = LibTurboJpeg.Compressor;
        int pixelFormat = Mode == PixelMode.L ? LibTurboJpeg.TJPF_GRAY : LibTurboJpeg.TJPF_RGB;
        int subsamp = Mode == PixelMode.L ? LibTurboJpeg.TJSAMP_GRAY : LibTurboJpeg.TJSAMP_420;
        byte* jpeg = null;
        CULong size = default;
        try
        {
            int rc;
            fixed (byte* src = Span)
                rc = LibTurboJpeg.tjCompress2(tj, src, Width, Stride, Height, pixelFormat, &jpeg, &size, subsamp, quality,
                                              progressive ? LibTurboJpeg.TJFLAG_PROGRESSIVE : 0);
            // libjpeg-turbo 2.1 keeps a progressive compression's scan settings in the handle: the next baseline
            // file from it came out different, and with Huffman codes its decoder refused ("bad Huffman code").
            if (progressive) LibTurboJpeg.ResetCompressor();
            if (rc != 0)
            {
                string error = LibTurboJpeg.ErrorString(tj);
                LibTurboJpeg.ResetCompressor();
                throw new InvalidOperationException($"JPEG encoding of a {Width}x{Height} {Mode} image failed: {error}.");
            }
            return Blob.CopyOf(new ReadOnlySpan<byte>(jpeg, checked((int)size.Value)));
        }
        finally
        {
            if (jpeg is not null) LibTurboJpeg.tjFree(jpeg);
        }
    }

    /// <summary>Encodes as an 8-bit PNG (grayscale, RGB or RGBA) with libspng into a blob counted by the memory budget.</summary>
    public unsafe Blob EncodePng()
    {
        using var ctx = LibSpng.spng_ctx_new(LibSpng.SPNG_CTX_ENCODER);
        if (ctx.IsInvalid) throw new InvalidOperationException("libspng could not create an encoder context (out of memory?).");
        Check(LibSpng.spng_set_option(ctx, LibSpng.SPNG_ENCODE_TO_BUFFER, 1));
        var ihdr = new LibSpng.Ihdr
        {
            Width = (uint)Width,
            Height = (uint)Height,
            BitDepth = 8,
            ColorType = Mode switch
            {
                PixelMode.L => LibSpng.SPNG_COLOR_TYPE_GRAYSCALE,
                PixelMode.RGBA => LibSpng.SPNG_COLOR_TYPE_TRUECOLOR_ALPHA,
                _ => LibSpng.SPNG_COLOR_TYPE_TRUECOLOR,
            },
        };
        Check(LibSpng.spng_set_ihdr(ctx, ref ihdr));
        fixed (byte* src = Span)
            Check(LibSpng.spng_encode_image(ctx, src, (nuint)Span.Length, LibSpng.SPNG_FMT_PNG, LibSpng.SPNG_ENCODE_FINALIZE));
        byte* png = LibSpng.spng_get_png_buffer(ctx, out nuint len, out int error);
        try
        {
            Check(error);
            if (png is null) throw new InvalidOperationException("PNG encoding produced no buffer.");
            return Blob.CopyOf(new ReadOnlySpan<byte>(png, checked((int)len)));
        }
        finally
        {
            if (png is not null) NativeMemory.Free(png); // libspng's default allocator is the C library's malloc
        }

        void Check(int rc)
        {
            if (rc != LibSpng.SPNG_OK)
                throw new InvalidOperationException($"PNG encoding of a {Width}x{Height} {Mode} image failed: {LibSpng.ErrorString(rc)}.");
        }
    }
}
