using System.Buffers.Binary;
using System.IO.Compression;
using Sluice.Media;
using Xunit;

namespace Sluice.Media.Tests;

/// <summary>
/// The PNG fast path (libdeflate + own unfiltering) against the pixels that went in and against libspng,
/// on PNGs written here with every filter type, and the files it must leave to libspng.
/// </summary>
public class PngFastPathTests
{
    public static TheoryData<PixelMode, PixelMode> ModePairs()
    {
        var data = new TheoryData<PixelMode, PixelMode>();
        foreach (var source in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
            foreach (var target in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
                data.Add(source, target);
        return data;
    }

    [Theory]
    [MemberData(nameof(ModePairs))]
    public void Every_filter_type_decodes_to_the_pixels_written_and_to_what_libspng_gives(PixelMode source, PixelMode target)
    {
        foreach (var (w, h) in new[] { (1, 1), (2, 7), (33, 17), (257, 64) })
        {
            using var original = TestImages.Textured(w, h, seed: w * 31 + h, mode: source);
            // Row y uses filter y % 5, so each of None, Sub, Up, Average and Paeth has a row above it of every kind.
            byte[] png = WritePng(original, y => (byte)(y % 5), idatChunkSize: 97);

            using var fast = PngFastPath.TryDecode(png, target, Image.DefaultMaxPixels);
            Assert.NotNull(fast);
            using var spng = Image.DecodePngWithSpng(png, target, Image.DefaultMaxPixels);
            Assert.Equal((w, h, target), (fast.Width, fast.Height, fast.Mode));
            Assert.True(spng.Span.SequenceEqual(fast.Span), $"{w}x{h} {source}->{target}: fast path and libspng differ");
            if (source == target)
                Assert.True(original.Span.SequenceEqual(fast.Span), $"{w}x{h} {source}: not the pixels written");
        }
    }

    [Theory]
    [InlineData(PixelMode.L)]
    [InlineData(PixelMode.RGB)]
    [InlineData(PixelMode.RGBA)]
    public void One_filter_per_image_matches_the_pixels_written(PixelMode mode)
    {
        for (byte filter = 0; filter <= 4; filter++)
        {
            using var original = TestImages.Textured(61, 23, seed: filter, mode: mode);
            byte[] png = WritePng(original, _ => filter, idatChunkSize: int.MaxValue);
            using var fast = PngFastPath.TryDecode(png, mode, Image.DefaultMaxPixels);
            Assert.NotNull(fast);
            Assert.True(original.Span.SequenceEqual(fast.Span), $"filter {filter}, {mode}");
        }
    }

    [Fact]
    public void Libspng_encoded_files_take_the_fast_path_and_equal_libspng()
    {
        foreach (var mode in new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA })
        {
            using var original = TestImages.Textured(300, 200, seed: 5, mode: mode);
            using var encoded = original.EncodePng();
            byte[] png = encoded.Span.ToArray();
            using var fast = PngFastPath.TryDecode(png, PixelMode.RGB, Image.DefaultMaxPixels);
            Assert.NotNull(fast);
            using var spng = Image.DecodePngWithSpng(png, PixelMode.RGB, Image.DefaultMaxPixels);
            Assert.True(spng.Span.SequenceEqual(fast.Span), mode.ToString());
        }
    }

    [Fact]
    public void Files_outside_the_fast_path_are_left_to_libspng_which_still_decodes_them()
    {
        using var original = TestImages.Textured(20, 10, seed: 1, mode: PixelMode.RGB);
        byte[] plain = WritePng(original, y => (byte)(y % 5), idatChunkSize: 64);

        byte[] withTrns = InsertChunk(plain, "tRNS", [0, 1, 0, 2, 0, 3]);        // RGB with a transparent colour
        Assert.Null(PngFastPath.TryDecode(withTrns, PixelMode.RGBA, Image.DefaultMaxPixels)); // alpha from tRNS: libspng's job
        using (var viaSpng = Image.Decode(withTrns, mode: PixelMode.RGBA))
            Assert.Equal((20, 10), (viaSpng.Width, viaSpng.Height));
        using (var ignored = PngFastPath.TryDecode(withTrns, PixelMode.RGB, Image.DefaultMaxPixels)) // RGB ignores tRNS
            Assert.True(original.Span.SequenceEqual(ignored!.Span));

        byte[] unknownCritical = InsertChunk(plain, "ZZZZ", [1, 2, 3]);
        Assert.Null(PngFastPath.TryDecode(unknownCritical, PixelMode.RGB, Image.DefaultMaxPixels));
        byte[] unknownAncillary = InsertChunk(plain, "zzZz", [1, 2, 3]);
        using (var skipped = PngFastPath.TryDecode(unknownAncillary, PixelMode.RGB, Image.DefaultMaxPixels))
            Assert.True(original.Span.SequenceEqual(skipped!.Span));

        byte[] interlaced = (byte[])plain.Clone();
        interlaced[28] = 1; // IHDR interlace method (Adam7)
        FixCrc(interlaced, 8);
        Assert.Null(PngFastPath.TryDecode(interlaced, PixelMode.RGB, Image.DefaultMaxPixels));
    }

    [Fact]
    public void Damaged_files_are_left_to_libspng_which_names_the_problem()
    {
        using var original = TestImages.Textured(40, 30, seed: 2, mode: PixelMode.RGB);
        byte[] png = WritePng(original, y => (byte)(y % 5), idatChunkSize: 200);

        byte[] badCrc = (byte[])png.Clone();
        badCrc[60] ^= 0x55; // inside the first IDAT's data
        Assert.Null(PngFastPath.TryDecode(badCrc, PixelMode.RGB, Image.DefaultMaxPixels));
        var e = Assert.Throws<ImageDecodeException>(() => Image.Decode(badCrc));
        Assert.Contains("PNG", e.Message); // libspng reports the damaged IDAT stream before it compares the CRC

        byte[] truncated = png[..(png.Length / 2)];
        Assert.Null(PngFastPath.TryDecode(truncated, PixelMode.RGB, Image.DefaultMaxPixels));
        Assert.Throws<ImageDecodeException>(() => Image.Decode(truncated));

        // A valid zlib stream that inflates to one byte too few: the row data is short.
        byte[] shortData = WritePng(original, _ => 0, idatChunkSize: int.MaxValue, trimRaw: 1);
        Assert.Null(PngFastPath.TryDecode(shortData, PixelMode.RGB, Image.DefaultMaxPixels));
        Assert.Throws<ImageDecodeException>(() => Image.Decode(shortData));

        byte[] badFilter = WritePng(original, y => y == 7 ? (byte)5 : (byte)1, idatChunkSize: int.MaxValue);
        Assert.Null(PngFastPath.TryDecode(badFilter, PixelMode.RGB, Image.DefaultMaxPixels));
        Assert.Throws<ImageDecodeException>(() => Image.Decode(badFilter));
    }

    [Fact]
    public void Thousands_of_valid_files_with_random_row_data_and_filter_bytes_never_crash_and_agree_with_libspng()
    {
        // The CRCs and the zlib stream are right, so the fast path gets to unfilter whatever bytes it is given:
        // random filtered data and random filter-type bytes (one row in 40 out of range).
        var rng = new Random(20261121);
        int decoded = 0, declined = 0;
        for (int n = 0; n < 2000; n++)
        {
            var mode = (PixelMode)new[] { 1, 3, 4 }[rng.Next(3)];
            int w = rng.Next(1, 40), h = rng.Next(1, 12);
            using var original = TestImages.Textured(w, h, seed: n, mode: mode);
            byte[] png = WritePng(original, _ => (byte)(rng.Next(40) == 0 ? rng.Next(5, 256) : rng.Next(5)), idatChunkSize: rng.Next(1, 300), rawNoise: rng);
            var target = (PixelMode)new[] { 1, 3, 4 }[rng.Next(3)];
            using var fast = PngFastPath.TryDecode(png, target, Image.DefaultMaxPixels);
            if (fast is null)
            {
                declined++;
                Assert.Throws<ImageDecodeException>(() => Image.DecodePngWithSpng(png, target, Image.DefaultMaxPixels));
                continue;
            }
            decoded++;
            using var spng = Image.DecodePngWithSpng(png, target, Image.DefaultMaxPixels);
            Assert.True(spng.Span.SequenceEqual(fast.Span), $"case {n}: {w}x{h} {mode}->{target}");
        }
        Assert.True(decoded > 200 && declined > 200, $"decoded {decoded}, declined {declined}");
    }

    [Fact]
    public void A_header_over_the_pixel_limit_fails_before_any_allocation()
    {
        byte[] bomb = TestImages.PngClaiming(60000, 60000);
        var e = Assert.Throws<ImageDecodeException>(() => PngFastPath.TryDecode(bomb, PixelMode.RGB, Image.DefaultMaxPixels));
        Assert.Contains("exceed the limit", e.Message);
    }

    /// <summary>
    /// A PNG written by the test, independent of libspng: 8-bit, the colour type of <paramref name="image"/>'s mode,
    /// row y filtered with <paramref name="filterFor"/>(y), the zlib stream split into IDATs of <paramref name="idatChunkSize"/>.
    /// </summary>
    private static byte[] WritePng(Image image, Func<int, byte> filterFor, int idatChunkSize, int trimRaw = 0, Random? rawNoise = null)
    {
        int bpp = image.Channels, rowBytes = image.Width * bpp;
        var raw = new byte[(rowBytes + 1) * image.Height];
        for (int y = 0; y < image.Height; y++)
        {
            byte f = filterFor(y);
            var cur = image.Row(y);
            var prev = y > 0 ? image.Row(y - 1) : new byte[rowBytes];
            int o = y * (rowBytes + 1);
            raw[o] = f;
            for (int i = 0; i < rowBytes; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int predictor = f switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                };
                raw[o + 1 + i] = (byte)(cur[i] - predictor);
            }
        }
        if (rawNoise is not null)
            for (int i = 0; i < raw.Length; i++)
                if (i % (rowBytes + 1) != 0 && rawNoise.Next(4) == 0) raw[i] = (byte)rawNoise.Next(256);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
            zs.Write(raw, 0, raw.Length - trimRaw);
        byte[] zlib = z.ToArray();

        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)image.Height);
        ihdr[8] = 8;
        ihdr[9] = image.Mode switch { PixelMode.L => 0, PixelMode.RGB => 2, _ => 6 };
        WriteChunk(png, "IHDR", ihdr);
        for (int at = 0; at < zlib.Length; at += idatChunkSize)
            WriteChunk(png, "IDAT", zlib.AsSpan(at, Math.Min(idatChunkSize, zlib.Length - at)));
        WriteChunk(png, "IEND", []);
        return png.ToArray();

        static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }

    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data) => TestImages.WritePngChunk(png, type, data);

    /// <summary><paramref name="png"/> with a chunk inserted right after IHDR.</summary>
    private static byte[] InsertChunk(byte[] png, string type, byte[] data)
    {
        var s = new MemoryStream();
        s.Write(png, 0, 33);
        WriteChunk(s, type, data);
        s.Write(png, 33, png.Length - 33);
        return s.ToArray();
    }

    /// <summary>Recomputes the CRC of the chunk starting at <paramref name="pos"/>.</summary>
    private static void FixCrc(byte[] png, int pos)
    {
        int len = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + len), TestImages.Crc32(png.AsSpan(pos + 4, len + 4)));
    }
}
