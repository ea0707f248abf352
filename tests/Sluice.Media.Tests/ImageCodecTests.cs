using Xunit;
using Sluice.Media;

namespace Sluice.Media.Tests;

public class ImageCodecTests
{
    [Fact]
    public void Jpeg_round_trip_stays_within_a_small_tolerance()
    {
        using var original = TestImages.Gradient(64, 48);
        using var jpeg = original.EncodeJpeg(95);
        using var decoded = Image.Decode(jpeg.Span);
        Assert.Equal((64, 48, PixelMode.RGB, 3, 192), (decoded.Width, decoded.Height, decoded.Mode, decoded.Channels, decoded.Stride));
        long sum = 0;
        int max = 0;
        for (int i = 0; i < original.Span.Length; i++)
        {
            int d = Math.Abs(original.Span[i] - decoded.Span[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        double mean = (double)sum / original.Span.Length;
        Assert.True(mean < 2.0, $"mean abs error {mean:F2}");
        Assert.True(max < 32, $"max abs error {max}");
    }

    [Theory]
    [InlineData(PixelMode.L)]
    [InlineData(PixelMode.RGB)]
    [InlineData(PixelMode.RGBA)]
    public void Png_round_trip_is_exact(PixelMode mode)
    {
        using var original = TestImages.Gradient(37, 23, mode);
        using var png = original.EncodePng();
        using var decoded = Image.Decode(png.Span, mode: mode);
        Assert.Equal((37, 23, mode), (decoded.Width, decoded.Height, decoded.Mode));
        Assert.True(original.Span.SequenceEqual(decoded.Span));
    }

    [Fact]
    public void Grayscale_jpeg_round_trip_and_rgb_png_to_luma()
    {
        using var gray = TestImages.Gradient(40, 30, PixelMode.L);
        using var jpeg = gray.EncodeJpeg(95);
        using var back = Image.Decode(jpeg.Span, mode: PixelMode.L);
        Assert.Equal((40, 30, PixelMode.L), (back.Width, back.Height, back.Mode));

        using var rgb = TestImages.Gradient(5, 4);
        using var png = rgb.EncodePng();
        using var luma = Image.Decode(png.Span, mode: PixelMode.L);
        var p = rgb.Row(3).Slice(4 * 3, 3);
        Assert.Equal((byte)((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16), luma.Row(3)[4]);
    }

    [Fact]
    public void Rgba_cannot_be_written_as_jpeg()
    {
        using var img = TestImages.Gradient(4, 4, PixelMode.RGBA);
        Assert.Throws<NotSupportedException>(() => img.EncodeJpeg());
    }

    [Theory]
    [InlineData(0, 2000, 1500)]     // no shrink
    [InlineData(256, 500, 375)]     // 1/4: 1/8 would give 188 < 256
    [InlineData(100, 250, 188)]     // 1/8 (TJSCALED rounds up)
    [InlineData(800, 2000, 1500)]   // 1/1: 1/2 would give 750 < 800 (5/8 exists, but only 1/2, 1/4, 1/8 are used)
    [InlineData(750, 1000, 750)]    // 1/2 exactly
    [InlineData(4000, 2000, 1500)]  // never upscales
    public void Shrink_on_load_picks_the_smallest_dct_scale_that_keeps_the_shorter_side(int shrinkTo, int width, int height)
    {
        var jpeg = TestImages.Jpeg(2000, 1500, 80);
        using var img = Image.Decode(jpeg, shrinkTo);
        Assert.Equal((width, height), (img.Width, img.Height));
    }

    [Fact]
    public void Shrink_on_load_charges_only_the_scaled_pixels()
    {
        var jpeg = TestImages.Jpeg(2000, 1500, 80);
        var budget = new MemoryBudget(null);
        TestImages.WithBudget(budget, () =>
        {
            using var img = Image.Decode(jpeg, 256);
        });
        Assert.Equal(MemoryBudget.SizeClass(500 * 375 * 3), budget.Peak);
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public void Format_is_detected_by_magic_bytes()
    {
        Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat(TestImages.Jpeg(8, 8)));
        Assert.Equal(ImageFormat.Png, Image.DetectFormat(TestImages.Png(8, 8)));
        Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat([0xFF, 0xD8, 0xFF]));
        Assert.Equal(ImageFormat.Unknown, Image.DetectFormat([0xFF, 0xD8]));
        Assert.Equal(ImageFormat.Unknown, Image.DetectFormat("GIF89a"u8));
        Assert.Equal(ImageFormat.Unknown, Image.DetectFormat([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A]));
        Assert.Equal(ImageFormat.Unknown, Image.DetectFormat([]));
    }

    [Theory]
    [InlineData("GIF89a\u0001\u0000secret", "a GIF image")]
    [InlineData("  <html><body>404 secret</body></html>", "markup such as HTML or XML, perhaps an error page")]
    [InlineData("{\"secret\": 1}", "JSON text")]
    [InlineData("%PDF-1.7 secret", "a PDF document")]
    [InlineData("RIFF\u0000\u0000\u0000\u0000WEBPVP8 secret", "a WebP image")]
    [InlineData("root:x:0:0:secret", "not an image signature Sluice knows")]
    public void An_unknown_format_is_named_by_its_signature_and_never_quoted(string content, string what)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(content);
        var e = Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes));
        Assert.Equal(ImageFormat.Unknown, e.Format);
        Assert.Contains($"unknown format ({what}, {bytes.Length} bytes)", e.Message);
        // Messages go to dead letters and logs: none of the file's content, raw or as hex.
        Assert.DoesNotContain("secret", e.Message);
        Assert.DoesNotContain(Convert.ToHexString(bytes[..4]), e.Message);
    }

    [Fact]
    public void Empty_input_fails_cleanly()
    {
        var e = Assert.Throws<ImageDecodeException>(() => Image.Decode(ReadOnlySpan<byte>.Empty));
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public void A_header_claiming_60000x60000_fails_before_allocating(string format)
    {
        var bytes = format == "png" ? TestImages.PngClaiming(60000, 60000) : TestImages.JpegClaiming(60000, 60000);
        var budget = new MemoryBudget(null);
        ImageDecodeException? e = null;
        long allocated = 0;
        // Once to load the libraries and JIT the path, then measured.
        TestImages.WithBudget(budget, () => Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes)));
        TestImages.WithBudget(budget, () =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            e = Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes));
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(format == "png" ? ImageFormat.Png : ImageFormat.Jpeg, e!.Format);
        Assert.Equal((60000, 60000), (e.Width, e.Height));
        Assert.Contains("60000x60000", e.Message);
        Assert.Contains("3,600,000,000 pixels exceed the limit of 100,000,000", e.Message);
        Assert.Equal(0, budget.Peak);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public void A_truncated_file_fails_cleanly(string format)
    {
        var bytes = format == "png" ? TestImages.Png(64, 64) : TestImages.Jpeg(64, 64);
        var budget = new MemoryBudget(null);
        // Cut inside the header, the middle and the end of the data. (Cut after the last pixel's data, a PNG
        // still decodes: libspng stops once the image is complete and reads neither the last CRC nor IEND.)
        foreach (int keep in new[] { 10, 20, bytes.Length / 2, bytes.Length - 40 })
        {
            TestImages.WithBudget(budget, () =>
            {
                var e = Record.Exception(() => Image.Decode(bytes.AsSpan(0, keep))) as ImageDecodeException;
                Assert.True(e is not null, $"{format} cut to {keep} of {bytes.Length} bytes decoded");
                Assert.Equal(format == "png" ? ImageFormat.Png : ImageFormat.Jpeg, e!.Format);
            });
        }
        Assert.Equal(0, budget.InFlight); // the pixels of failed decodes were released
    }

    [Fact]
    public void Random_garbage_fails_cleanly()
    {
        var rng = new Random(1234);
        foreach (var prefix in new byte[][] { [], [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] })
        {
            for (int i = 0; i < 50; i++)
            {
                var bytes = new byte[prefix.Length + rng.Next(1, 4096)];
                rng.NextBytes(bytes);
                prefix.CopyTo(bytes, 0);
                Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes));
            }
        }
    }
}
