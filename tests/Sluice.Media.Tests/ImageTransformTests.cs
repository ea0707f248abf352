using Xunit;
using Sluice.Media;
using Sluice;

namespace Sluice.Media.Tests;

public class ImageTransformTests
{
    private static Image FromBytes(int width, int height, PixelMode mode, params byte[] pixels)
    {
        var img = Image.Create(width, height, mode);
        pixels.CopyTo(img.Span);
        return img;
    }

    /// <summary>Pixel (x, y) = (x, y, x + y): every pixel says where it came from.</summary>
    private static Image Coordinates(int width, int height)
    {
        var img = Image.Create(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var px = img.Row(y).Slice(x * 3, 3);
                px[0] = (byte)x; px[1] = (byte)y; px[2] = (byte)(x + y);
            }
        return img;
    }

    public static TheoryData<PixelMode, ResizeFilter, int, int> ConstantCases => new()
    {
        { PixelMode.RGB, ResizeFilter.Bilinear, 23, 17 },
        { PixelMode.RGB, ResizeFilter.Area, 7, 5 },
        { PixelMode.L, ResizeFilter.Bilinear, 150, 90 },
        { PixelMode.RGBA, ResizeFilter.Bilinear, 41, 200 },
        { PixelMode.RGBA, ResizeFilter.Area, 300, 3 },
    };

    [Theory]
    [MemberData(nameof(ConstantCases))]
    public void Resize_of_a_constant_image_stays_constant(PixelMode mode, ResizeFilter filter, int width, int height)
    {
        using var img = Image.Create(97, 61, mode);
        byte[] color = [200, 13, 255, 255]; // opaque: RGBA resamples premultiplied, which is lossy for partial alpha
        for (int i = 0; i < img.Span.Length; i++) img.Span[i] = color[i % img.Channels];
        using var resized = img.Resize(width, height, filter);
        Assert.Equal((width, height, mode), (resized.Width, resized.Height, resized.Mode));
        for (int i = 0; i < resized.Span.Length; i++)
            Assert.Equal(color[i % resized.Channels], resized.Span[i]);
    }

    [Theory]
    [InlineData(ResizeFilter.Bilinear)]
    [InlineData(ResizeFilter.Area)]
    public void Resize_to_the_same_size_is_identity(ResizeFilter filter)
    {
        using var img = TestImages.Gradient(37, 23);
        using var same = img.Resize(37, 23, filter);
        Assert.NotSame(img, same);
        Assert.True(img.Span.SequenceEqual(same.Span));
    }

    [Fact]
    public void Bilinear_halving_matches_hand_computed_weights()
    {
        // 4 -> 2: scale 2, support 2. Output 0 centres on 1.0 and reads x = 0, 1, 2 with tent weights
        // 0.75, 0.75, 0.25 (sum 1.75) -> (0·3 + 70·3 + 140) / 7 = 50; output 1 centres on 3.0 and reads
        // x = 1, 2, 3 with 0.25, 0.75, 0.75 -> (70 + 140·3 + 210·3) / 7 = 160.
        using var row = FromBytes(4, 1, PixelMode.L, 0, 70, 140, 210);
        using var across = row.Resize(2, 1);
        Assert.Equal([50, 160], across.Span.ToArray());
        // The same pattern down a column goes through the vertical pass.
        using var column = FromBytes(1, 4, PixelMode.L, 0, 70, 140, 210);
        using var down = column.Resize(1, 2);
        Assert.Equal([50, 160], down.Span.ToArray());
    }

    [Fact]
    public void Rgba_resize_premultiplies_so_transparent_colour_does_not_bleed()
    {
        // Opaque red beside transparent green: premultiplied, green counts for nothing; alpha averages to 128.
        using var img = FromBytes(2, 1, PixelMode.RGBA, 255, 0, 0, 255, 0, 255, 0, 0);
        using var half = img.Resize(1, 1, ResizeFilter.Area);
        Assert.Equal([255, 0, 0, 128], half.Span.ToArray());
    }

    [Fact]
    public void Area_halving_averages_pixel_pairs()
    {
        // Box support ½ × 2 = 1: output 0 averages x = 0, 1 and output 1 averages x = 2, 3, in both directions.
        using var img = FromBytes(4, 2, PixelMode.L,
            0, 70, 140, 210,
            20, 90, 160, 230);
        using var half = img.Resize(2, 1, ResizeFilter.Area);
        Assert.Equal([45, 185], half.Span.ToArray()); // (0+70+20+90)/4, (140+210+160+230)/4
    }

    [Fact]
    public void Resize_charges_the_output_and_returns_the_temporary()
    {
        var budget = new MemoryBudget(null);
        TestImages.WithBudget(budget, () =>
        {
            using var img = TestImages.Gradient(100, 80);
            using var small = img.Resize(50, 40);
            Assert.Equal(MemoryBudget.SizeClass(100 * 80 * 3) + MemoryBudget.SizeClass(50 * 40 * 3), budget.InFlight);
        });
        Assert.Equal(0, budget.InFlight);
    }

    [Theory]
    [InlineData(7, 5, 4, 2, 2, 2)]   // left round(1.5) = 2, top round(1.5) = 2
    [InlineData(9, 6, 4, 3, 2, 2)]   // left round(2.5) = 2 (halves to even), top round(1.5) = 2
    [InlineData(11, 8, 4, 3, 4, 2)]  // left round(3.5) = 4, top round(2.5) = 2
    [InlineData(5, 5, 5, 5, 0, 0)]
    public void CenterCrop_places_the_window_like_torchvision(int w, int h, int cw, int ch, int left, int top)
    {
        using var img = Coordinates(w, h);
        using var crop = img.CenterCrop(cw, ch);
        Assert.Equal((cw, ch), (crop.Width, crop.Height));
        Assert.Equal([(byte)left, (byte)top, (byte)(left + top)], crop.Span[..3].ToArray());
        var last = crop.Row(ch - 1).Slice((cw - 1) * 3, 3);
        Assert.Equal([(byte)(left + cw - 1), (byte)(top + ch - 1), (byte)(left + cw - 1 + top + ch - 1)], last.ToArray());
    }

    [Fact]
    public void CenterCrop_larger_than_the_image_pads_with_zeros_like_torchvision()
    {
        // 3x3 into 6x5: padding left (6-3)//2 = 1, top (5-3)//2 = 1, the rest right and below.
        using var img = FromBytes(3, 3, PixelMode.L, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        using var crop = img.CenterCrop(6, 5);
        Assert.Equal(new byte[]
        {
            0, 0, 0, 0, 0, 0,
            0, 1, 2, 3, 0, 0,
            0, 4, 5, 6, 0, 0,
            0, 7, 8, 9, 0, 0,
            0, 0, 0, 0, 0, 0,
        }, crop.Span.ToArray());
    }

    [Fact]
    public void Crop_copies_the_rectangle_and_rejects_one_outside()
    {
        using var img = Coordinates(10, 8);
        using var crop = img.Crop(3, 2, 4, 5);
        Assert.Equal((4, 5), (crop.Width, crop.Height));
        Assert.Equal([3, 2, 5], crop.Span[..3].ToArray());
        Assert.Equal([6, 6, 12], crop.Row(4).Slice(9, 3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => img.Crop(7, 0, 4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.Crop(-1, 0, 4, 1));
    }

    [Theory]
    [InlineData(500, 375, 256, 341, 256)]  // int(256 * 500 / 375) = int(341.33)
    [InlineData(375, 500, 256, 256, 341)]
    [InlineData(333, 217, 224, 343, 224)]  // int(224 * 333 / 217) = int(343.74): truncated, not rounded
    [InlineData(10, 3, 7, 23, 7)]          // int(23.33)
    [InlineData(99, 99, 50, 50, 50)]
    [InlineData(3, 1001, 2, 2, 667)]       // int(667.33)
    public void ResizeShorterSide_sizes_follow_torchvision(int w, int h, int size, int ew, int eh)
    {
        Assert.Equal((ew, eh), Image.ShorterSideSize(w, h, size));
        using var img = TestImages.Gradient(w, h);
        using var resized = img.ResizeShorterSide(size);
        Assert.Equal((ew, eh), (resized.Width, resized.Height));
    }

    [Fact]
    public void ConvertTo_L_uses_pillow_luma()
    {
        using var rgb = FromBytes(4, 1, PixelMode.RGB, 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30);
        using var gray = rgb.ConvertTo(PixelMode.L);
        // Pillow: red 76, green 150, blue 29; (10·299 + 200·587 + 30·114) / 1000 = 123.8 -> 124 (rounded).
        Assert.Equal([76, 150, 29, 124], gray.Span.ToArray());
    }

    [Fact]
    public void ConvertTo_round_trips_between_RGB_RGBA_and_L()
    {
        using var rgb = TestImages.Gradient(13, 7);
        using var rgba = rgb.ConvertTo(PixelMode.RGBA);
        Assert.Equal(255, rgba.Span[3]);
        using var back = rgba.ConvertTo(PixelMode.RGB);
        Assert.True(rgb.Span.SequenceEqual(back.Span));

        using var gray = FromBytes(2, 1, PixelMode.L, 9, 250);
        using var grayRgba = gray.ConvertTo(PixelMode.RGBA);
        Assert.Equal([9, 9, 9, 255, 250, 250, 250, 255], grayRgba.Span.ToArray());
        using var grayAgain = grayRgba.ConvertTo(PixelMode.L);
        Assert.Equal([9, 250], grayAgain.Span.ToArray());
    }

    [Fact]
    public void ToTensor_writes_normalized_CHW_by_hand()
    {
        using var img = FromBytes(2, 2, PixelMode.RGB,
            0, 51, 255, /**/ 255, 102, 0,
            127, 0, 204, /**/ 1, 255, 153);
        var t = new float[12];
        float[] mean = [0.5f, 0.25f, 0f];
        float[] std = [0.5f, 0.25f, 2f];
        img.ToTensor(t, mean, std);
        // R: 0, 255, 127, 1 -> (v/255 - 0.5) / 0.5; G: 51, 102, 0, 255 = 0.2, 0.4, 0, 1 -> (v - 0.25) / 0.25;
        // B: 255, 0, 204, 153 = 1, 0, 0.8, 0.6 -> v / 2.
        float[] expected =
        [
            -1f, 1f, (127 / 255f - 0.5f) / 0.5f, (1 / 255f - 0.5f) / 0.5f,
            -0.2f, 0.6f, -1f, 3f,
            0.5f, 0f, 0.4f, 0.3f,
        ];
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], t[i], 5);
    }

    [Theory]
    [InlineData(PixelMode.L)]
    [InlineData(PixelMode.RGB)]
    [InlineData(PixelMode.RGBA)]
    public void ToTensor_vector_and_scalar_paths_agree_exactly(PixelMode mode)
    {
        using var img = TestImages.Gradient(37, 23, mode);
        int c = img.Channels, plane = 37 * 23;
        float[] mean = [0.485f, 0.456f, 0.406f, 0.5f], std = [0.229f, 0.224f, 0.225f, 0.25f];
        var t = new float[c * plane];
        img.ToTensor(t, mean.AsSpan(0, c), std.AsSpan(0, c));
        for (int p = 0; p < plane; p++)
            for (int ch = 0; ch < c; ch++)
                Assert.Equal((img.Span[p * c + ch] / 255f - mean[ch]) / std[ch], t[ch * plane + p]);
    }

    [Fact]
    public void ToTensor_rejects_a_destination_of_the_wrong_size()
    {
        using var img = TestImages.Gradient(4, 3);
        var ex = Assert.Throws<ArgumentException>(() => img.ToTensor(new float[35], Normalize.ImageNetMean, Normalize.ImageNetStd));
        Assert.Equal("destination", ex.ParamName);
        Assert.Contains("36", ex.Message);
        Assert.Throws<ArgumentException>(() => img.ToTensor(new float[36], Normalize.ImageNetMean[..2], Normalize.ImageNetStd));
    }

    [Fact]
    public void Decode_resize_crop_to_tensor_chain_fills_one_batch_slot()
    {
        var jpeg = TestImages.Jpeg(500, 375, 92);
        const int slot = 3 * 224 * 224;
        var batch = new float[2 * slot];
        using (var decoded = Image.Decode(jpeg))
        using (var resized = decoded.ResizeShorterSide(256))
        using (var crop = resized.CenterCrop(224, 224))
        {
            Assert.Equal((341, 256), (resized.Width, resized.Height));
            Assert.Equal((224, 224), (crop.Width, crop.Height));
            crop.ToTensor(batch.AsSpan(slot, slot), Normalize.ImageNetMean, Normalize.ImageNetStd);
            // Spot check: the crop starts at (round(58.5) = 58, round(16) = 16) of the resized image.
            Assert.Equal(resized.Row(16 + 100)[(58 + 50) * 3 + 1], crop.Row(100)[50 * 3 + 1]);
            Assert.Equal((crop.Row(100)[50 * 3 + 1] / 255f - 0.456f) / 0.224f, batch[slot + 224 * 224 + 100 * 224 + 50]);
        }
        Assert.All(batch.AsSpan(0, slot).ToArray(), v => Assert.Equal(0f, v));
        float min = batch.AsSpan(slot).ToArray().Min(), max = batch.AsSpan(slot).ToArray().Max();
        Assert.InRange(min, -0.485f / 0.229f - 1e-4f, 0f);          // the gradient reaches near black ...
        Assert.InRange(max, 0f, (1 - 0.406f) / 0.225f + 1e-4f);     // ... and near white
        // The red gradient runs left to right: the first column of the R plane is darker than the last.
        Assert.True(batch[slot + 100 * 224] < batch[slot + 100 * 224 + 223]);
    }
}
