using Xunit;
using Sluice.Media;
using Sluice;

namespace Sluice.Media.Tests;

/// <summary>
/// <see cref="Image.ResizeCrop"/> and <see cref="Image.ResizeShorterSideCenterCrop"/> against the two steps they
/// fuse: every byte must be the same.
/// </summary>
public class ResizeCropTests
{
    /// <summary>Uniform noise in every channel (alpha included), so any differing weight or misplaced pixel shows.</summary>
    private static Image Noise(int width, int height, PixelMode mode, int seed)
    {
        var img = Image.Create(width, height, mode);
        new Random(seed).NextBytes(img.Span);
        return img;
    }

    private static void AssertSameImage(Image expected, Image actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Mode), (actual.Width, actual.Height, actual.Mode));
        for (int y = 0; y < expected.Height; y++)
            Assert.True(expected.Row(y).SequenceEqual(actual.Row(y)), $"row {y} of {expected} differs");
    }

    private static readonly PixelMode[] Modes = [PixelMode.L, PixelMode.RGB, PixelMode.RGBA];
    private static readonly ResizeFilter[] Filters = [ResizeFilter.Bilinear, ResizeFilter.Area];

    /// <summary>Source sizes for the ImageNet step (shorter side 256, centre 224×224).</summary>
    public static TheoryData<int, int> ImageNetSizes => new()
    {
        { 500, 375 },   // landscape 4:3 -> 341x256
        { 375, 500 },   // portrait
        { 256, 256 },   // already the size: no resize, only the crop
        { 341, 256 },   // already the resized size
        { 256, 341 },
        { 257, 300 },   // barely larger
        { 255, 255 },   // upscale by a hair
        { 224, 224 },   // upscale, crop offset 16
        { 100, 80 },    // upscale
        { 333, 217 },   // odd sizes, truncated long side
        { 1001, 999 },
        { 299, 1001 },  // tall
        { 1200, 257 },  // wide
        { 227, 229 },
        { 640, 480 },
    };

    [Theory]
    [MemberData(nameof(ImageNetSizes))]
    public void ResizeShorterSideCenterCrop_equals_the_two_steps_for_ImageNet(int width, int height)
    {
        foreach (var mode in Modes)
            foreach (var filter in Filters)
            {
                using var img = Noise(width, height, mode, width * 7919 + height);
                using var resized = img.ResizeShorterSide(256, filter);
                using var expected = resized.CenterCrop(224, 224);
                using var fused = img.ResizeShorterSideCenterCrop(256, 224, 224, filter);
                AssertSameImage(expected, fused);
            }
    }

    [Theory]
    [InlineData(1, 5, 1, 1, 3)]        // one pixel wide, no resize
    [InlineData(1, 5, 3, 1, 1)]        // one pixel wide to 3x15: a 1x1 centre
    [InlineData(1, 5, 3, 3, 15)]       // the whole resized image
    [InlineData(1, 5, 3, 2, 7)]        // odd margins: round(0.5) = 0, round(4) = 4
    [InlineData(5, 1, 2, 9, 1)]        // one pixel high to 10x2
    [InlineData(3, 1001, 2, 1, 224)]   // 2x667, tall and thin
    [InlineData(1001, 3, 2, 600, 2)]
    [InlineData(9, 6, 4, 3, 2)]        // 6x4: margins 1.5 -> 2 (halves to even) and 1
    [InlineData(11, 8, 8, 4, 3)]       // 11x8 is already the size: the crop alone
    [InlineData(7, 7, 1, 1, 1)]        // 1x1 resize
    [InlineData(500, 375, 256, 300, 300)] // crop larger than the resized image: zero padding
    [InlineData(500, 375, 256, 200, 300)] // padding down, crop across
    public void ResizeShorterSideCenterCrop_equals_the_two_steps_at_the_edges(int width, int height, int size, int cropWidth, int cropHeight)
    {
        foreach (var mode in Modes)
            foreach (var filter in Filters)
            {
                using var img = Noise(width, height, mode, width + 31 * height + size);
                using var resized = img.ResizeShorterSide(size, filter);
                using var expected = resized.CenterCrop(cropWidth, cropHeight);
                using var fused = img.ResizeShorterSideCenterCrop(size, cropWidth, cropHeight, filter);
                AssertSameImage(expected, fused);
            }
    }

    [Theory]
    [InlineData(40, 30, 25, 30)]   // only the width changes: the horizontal pass alone
    [InlineData(40, 30, 40, 17)]   // only the height changes: the vertical pass alone
    [InlineData(40, 30, 40, 30)]   // no resize
    [InlineData(40, 30, 97, 61)]   // upscale both
    [InlineData(40, 30, 13, 9)]    // downscale both
    [InlineData(1, 30, 1, 7)]      // one column
    [InlineData(30, 1, 70, 1)]     // one row
    public void ResizeCrop_equals_Resize_then_Crop_for_random_windows(int width, int height, int toWidth, int toHeight)
    {
        var rng = new Random(width * 1000 + toWidth * 10 + toHeight);
        foreach (var mode in Modes)
            foreach (var filter in Filters)
            {
                using var img = Noise(width, height, mode, rng.Next());
                using var full = img.Resize(toWidth, toHeight, filter);
                for (int trial = 0; trial < 6; trial++)
                {
                    int cw = rng.Next(1, toWidth + 1), ch = rng.Next(1, toHeight + 1);
                    int left = rng.Next(0, toWidth - cw + 1), top = rng.Next(0, toHeight - ch + 1);
                    if (trial == 0) (cw, ch, left, top) = (toWidth, toHeight, 0, 0);
                    using var expected = full.Crop(left, top, cw, ch);
                    using var window = img.ResizeCrop(toWidth, toHeight, left, top, cw, ch, filter);
                    AssertSameImage(expected, window);
                }
            }
    }

    [Fact]
    public void ResizeCrop_rejects_a_window_outside_the_resized_image()
    {
        using var img = TestImages.Gradient(20, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeCrop(10, 5, 1, 0, 10, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeCrop(10, 5, 0, -1, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeCrop(10, 5, 0, 0, 0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeCrop(10, 5, 0, 0, 4, 4, (ResizeFilter)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeShorterSideCenterCrop(0, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.ResizeShorterSideCenterCrop(8, 4, 0));
        img.Dispose();
        Assert.Throws<ObjectDisposedException>(() => img.ResizeShorterSideCenterCrop(8, 4, 4));
    }

    [Theory]
    [InlineData(PixelMode.RGB)]
    [InlineData(PixelMode.RGBA)]
    public void ResizeShorterSideCenterCrop_peaks_no_higher_than_the_two_steps_and_returns_everything(PixelMode mode)
    {
        var twoSteps = new MemoryBudget(null);
        TestImages.WithBudget(twoSteps, () =>
        {
            using var img = Noise(500, 375, mode, 1);
            using var resized = img.ResizeShorterSide(256);
            using var crop = resized.CenterCrop(224, 224);
        });
        var fused = new MemoryBudget(null);
        TestImages.WithBudget(fused, () =>
        {
            using var img = Noise(500, 375, mode, 1);
            using var crop = img.ResizeShorterSideCenterCrop(256, 224, 224);
            // Only the source and the crop are held once the call returns: the temporary went back.
            Assert.Equal(MemoryBudget.SizeClass(500 * 375 * (int)mode) + MemoryBudget.SizeClass(224 * 224 * (int)mode), fused.InFlight);
        });
        Assert.Equal(0, twoSteps.InFlight);
        Assert.Equal(0, fused.InFlight);
        Assert.True(fused.Peak <= twoSteps.Peak, $"fused peak {fused.Peak} > two-step peak {twoSteps.Peak}");
        Assert.True(fused.TotalAcquired < twoSteps.TotalAcquired, $"fused acquired {fused.TotalAcquired} >= two-step {twoSteps.TotalAcquired}");
    }
}
