using Sluice.Interop;
using Xunit;

namespace Sluice.Media.Tests;

/// <summary>One answer per JPEG, whatever was decoded before on the same thread; scan bombs refused before the work.</summary>
public class JpegStructureTests
{
    private static byte[] Jpeg(int width, int height, PixelMode mode, bool progressive, int seed)
    {
        using var image = Image.Create(width, height, mode);
        var px = image.Span;
        var rng = new Random(seed);
        for (int i = 0; i < px.Length; i++) px[i] = (byte)((i % 251) ^ rng.Next(32));
        using var blob = image.EncodeJpeg(85, progressive);
        return blob.Span.ToArray();
    }

    /// <summary>The file with every segment of <paramref name="marker"/> (before the first scan) cut out.</summary>
    private static byte[] Without(byte[] jpeg, byte marker)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        int i = 2;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA)
        {
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (jpeg[i + 1] != marker) output.AddRange(jpeg.AsSpan(i, 2 + length).ToArray());
            i += 2 + length;
        }
        output.AddRange(jpeg.AsSpan(i).ToArray());
        return output.ToArray();
    }

    private static byte[] Pixels(byte[] jpeg)
    {
        using var image = Image.Decode(jpeg);
        return image.Span.ToArray();
    }

    [Fact]
    public async Task A_jpeg_without_quantization_tables_fails_however_many_jpegs_came_before()
    {
        var good = Jpeg(64, 48, PixelMode.RGB, false, 1);
        var abbreviated = Without(good, 0xDB);
        Assert.False(JpegStructure.Read(abbreviated).HasQuantTables);
        // In a fresh thread (a fresh decompressor) and after a good JPEG on the same one: the same verdict.
        var fresh = await Task.Run(() => Assert.Throws<ImageDecodeException>(() => Image.Decode(abbreviated)).Message);
        Assert.Contains("no quantization table (DQT)", fresh);
        Pixels(good);
        Assert.Equal(fresh, Assert.Throws<ImageDecodeException>(() => Image.Decode(abbreviated)).Message);
        Pixels(good);
    }

    /// <summary>The file without the DHT segment that defines table <paramref name="id"/> of class <paramref name="tableClass"/> (0 DC, 1 AC).</summary>
    private static byte[] WithoutHuffmanTable(byte[] jpeg, int tableClass, int id)
    {
        var output = new List<byte> { 0xFF, 0xD8 };
        int i = 2, removed = 0;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA)
        {
            int length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            bool drop = jpeg[i + 1] == 0xC4 && jpeg[i + 4] == (tableClass << 4 | id);
            if (drop) removed++;
            else output.AddRange(jpeg.AsSpan(i, 2 + length).ToArray());
            i += 2 + length;
        }
        Assert.Equal(1, removed); // libjpeg writes one table per DHT segment
        output.AddRange(jpeg.AsSpan(i).ToArray());
        return output.ToArray();
    }

    private static string Outcome(byte[] jpeg)
    {
        try { return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Pixels(jpeg))); }
        catch (ImageDecodeException e) { return e.Reason; }
    }

    [Fact]
    public async Task A_jpeg_whose_scan_uses_a_huffman_table_it_does_not_define_gets_one_answer_whatever_came_before()
    {
        // Found by a 20,000-file mutation run: the file defines three of the four tables its scan uses. A reused
        // decompressor still held the fourth from the file before (a progressive one, with optimised tables), so the
        // same bytes decoded one way after it and another in a fresh process.
        var target = WithoutHuffmanTable(Jpeg(64, 48, PixelMode.RGB, false, 5), tableClass: 1, id: 1);
        Assert.True(JpegStructure.Read(target).UsesUndefinedTables);
        var before = Jpeg(64, 48, PixelMode.RGB, true, 6);
        string fresh = await Task.Run(() => Outcome(target));
        Pixels(before);
        Assert.Equal(fresh, Outcome(target));
        foreach (var seed in new[] { 7, 8, 9 })
        {
            Pixels(Jpeg(40 + seed, 30, PixelMode.RGB, true, seed));
            Assert.Equal(fresh, Outcome(target));
        }
    }

    [Fact]
    public async Task A_jpeg_without_huffman_tables_decodes_with_the_standard_ones_whatever_came_before()
    {
        // libjpeg-turbo writes baseline files with the standard tables, so the file without them decodes the same.
        var good = Jpeg(64, 48, PixelMode.RGB, false, 2);
        var noTables = Without(good, 0xC4);
        Assert.False(JpegStructure.Read(noTables).HasHuffmanTables);
        var expected = await Task.Run(() => Pixels(good));
        // A progressive JPEG first leaves its own (optimised) tables in the decompressor.
        Pixels(Jpeg(80, 60, PixelMode.RGB, true, 3));
        Assert.Equal(expected, Pixels(noTables));
        Assert.Equal(expected, await Task.Run(() => Pixels(noTables)));
    }

    [Fact]
    public void A_progressive_jpeg_of_hundreds_of_scans_over_a_large_frame_is_refused_before_decoding()
    {
        var progressive = Jpeg(4000, 4000, PixelMode.L, true, 4);
        var structure = JpegStructure.Read(progressive);
        Assert.True(structure.Progressive);
        Assert.InRange(structure.Scans, 2, 20);
        using (var ok = Image.Decode(progressive)) Assert.Equal(4000, ok.Width); // a normal progressive file decodes

        // Repeat its last scan until it has 400 scans (16 M pixels x 400 = 6.4e9 pixel-scans).
        int last = progressive.AsSpan().LastIndexOf([(byte)0xFF, (byte)0xDA]);
        var scan = progressive.AsSpan(last, progressive.Length - 2 - last).ToArray();
        var bomb = new List<byte>(progressive.AsSpan(0, progressive.Length - 2).ToArray());
        for (int k = structure.Scans; k < 400; k++) bomb.AddRange(scan);
        bomb.AddRange(new byte[] { 0xFF, 0xD9 });
        Assert.Equal(400, JpegStructure.Read(bomb.ToArray()).Scans);
        var e = Assert.Throws<ImageDecodeException>(() => Image.Decode(bomb.ToArray()));
        Assert.Contains("a progressive JPEG of 400 scans over 4000x4000 pixels", e.Message);
        Assert.Contains("refused before decoding", e.Message);
    }
}

public class JpegWarningTests
{
    [Fact]
    public void Stray_bytes_before_a_marker_decode_as_the_clean_file_with_the_warning_recorded()
    {
        using var image = Image.Create(64, 48, PixelMode.RGB);
        for (int i = 0; i < image.Span.Length; i++) image.Span[i] = (byte)(i * 7 % 251);
        byte[] clean;
        using (var blob = image.EncodeJpeg(90)) clean = blob.Span.ToArray();
        // Three bytes that are no marker, before the first DHT segment.
        int dht = clean.AsSpan().IndexOf([(byte)0xFF, (byte)0xC4]);
        var stray = clean[..dht].Concat(new byte[] { 0x12, 0x34, 0x56 }).Concat(clean[dht..]).ToArray();

        using var expected = Image.Decode(clean);
        using var decoded = Image.Decode(stray);
        Assert.Null(expected.DecodeWarning);
        Assert.Equal(expected.Span.ToArray(), decoded.Span.ToArray());
        Assert.Contains("extraneous bytes before marker", decoded.DecodeWarning);

        // A truncated file still fails: its warning loses data.
        var e = Assert.Throws<ImageDecodeException>(() => Image.Decode(clean.AsSpan(0, clean.Length / 2)));
        Assert.Contains("truncated or damaged data", e.Message);
    }
}
/// <summary>The encoder gives one answer per image too, whatever it encoded before on the same thread.</summary>
public class JpegEncoderStateTests
{
    private static byte[] Encode(int w, int h, bool progressive, int seed, PixelMode mode = PixelMode.RGB)
    {
        using var image = Image.Create(w, h, mode);
        var px = image.Span;
        var rng = new Random(seed);
        for (int i = 0; i < px.Length; i++) px[i] = (byte)((i % 251) ^ rng.Next(32));
        using var blob = image.EncodeJpeg(85, progressive);
        return blob.Span.ToArray();
    }

    [Fact]
    public void A_baseline_encode_after_a_progressive_one_gives_the_same_valid_file()
    {
        // Found when a test decoding a baseline file it had just encoded failed with "bad Huffman code" whenever
        // its thread had encoded a progressive file before: libjpeg-turbo 2.1 keeps the scan settings in the handle.
        LibTurboJpeg.ResetCompressor();
        var clean = Encode(64, 48, false, 1);
        foreach (var (w, h, mode) in new[] { (64, 48, PixelMode.RGB), (47, 30, PixelMode.RGB), (400, 400, PixelMode.L) })
        {
            Encode(w, h, true, 3, mode);
            var after = Encode(64, 48, false, 1);
            Assert.True(after.AsSpan().SequenceEqual(clean), $"after a progressive {w}x{h} {mode}: other bytes");
            using var decoded = Image.Decode(after);
            Assert.Equal((64, 48), (decoded.Width, decoded.Height));
        }
    }
}
