using Xunit;
using Sluice.Media;

namespace Sluice.Media.Tests;

public class ImageFuzzTests
{
    [Fact]
    public void Two_thousand_mutated_files_each_decode_or_fail_with_ImageDecodeException()
    {
        var seeds = new[]
        {
            TestImages.Jpeg(48, 32, 85),
            TestImages.Jpeg(33, 17, 70, PixelMode.L),
            TestImages.Png(40, 24),
            TestImages.Png(19, 21, PixelMode.RGBA),
            TestImages.Png(16, 16, PixelMode.L),
        };
        var modes = new[] { PixelMode.RGB, PixelMode.L, PixelMode.RGBA };
        var rng = new Random(20260401);
        var budget = new MemoryBudget(null);
        int decoded = 0, failed = 0;
        TestImages.WithBudget(budget, () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                var bytes = Mutate(seeds[i % seeds.Length], rng);
                try
                {
                    // A small pixel limit: a mutated header may claim a large image; this keeps the test fast.
                    using var img = Image.Decode(bytes, shrinkTo: rng.Next(3) == 0 ? 8 : 0, mode: modes[rng.Next(3)], maxPixels: 1_000_000);
                    Assert.Equal(img.Width * img.Height * img.Channels, img.Span.Length);
                    decoded++;
                }
                catch (ImageDecodeException)
                {
                    failed++;
                }
            }
        });
        Assert.Equal(2000, decoded + failed);
        Assert.True(failed > 100, $"only {failed} of 2000 mutations failed");
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public void Mutated_files_get_one_verdict_in_every_mode_whatever_was_decoded_before()
    {
        // The outside run's check, smaller: each mutated file decoded as L, RGB and RGBA right after the one before
        // it, on the same decoder handles. A progressive seed joins the baseline ones (a mutated JPEG once
        // decoded as RGB and failed as L after another file: a scan used a table it did not define).
        var seeds = new[]
        {
            TestImages.Jpeg(48, 32, 85),
            TestImages.Jpeg(33, 17, 30, PixelMode.L),
            Progressive(TestImages.Textured(40, 28, seed: 9)),
            TestImages.Png(40, 24),
            TestImages.Png(19, 21, PixelMode.RGBA),
        };
        var rng = new Random(20261203);
        int decoded = 0, failed = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bytes = Mutate(seeds[i % seeds.Length], rng);
            var verdicts = new[] { PixelMode.L, PixelMode.RGB, PixelMode.RGBA }.Select(mode =>
            {
                try { using var img = Image.Decode(bytes, mode: mode, maxPixels: 1_000_000); return "decoded"; }
                catch (ImageDecodeException) { return "failed"; }
            }).Distinct().ToArray();
            Assert.True(verdicts.Length == 1, $"case {i} (seed {i % seeds.Length}): {string.Join(" and ", verdicts)} by mode");
            if (verdicts[0] == "decoded") decoded++; else failed++;
        }
        Assert.True(decoded > 100 && failed > 100, $"decoded {decoded}, failed {failed}");

        static byte[] Progressive(Image image)
        {
            using (image)
            using (var blob = image.EncodeJpeg(80, progressive: true))
                return blob.Span.ToArray();
        }
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var b = new List<byte>(seed);
        int edits = rng.Next(1, 6);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            switch (rng.Next(4))
            {
                case 0: // flip random bits
                    int at = rng.Next(b.Count);
                    b[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // overwrite a byte
                    b[rng.Next(b.Count)] = (byte)rng.Next(256);
                    break;
                case 2: // insert bytes
                    int pos = rng.Next(b.Count + 1);
                    var ins = new byte[rng.Next(1, 16)];
                    rng.NextBytes(ins);
                    b.InsertRange(pos, ins);
                    break;
                default: // truncate
                    int keep = rng.Next(b.Count);
                    b.RemoveRange(keep, b.Count - keep);
                    break;
            }
        }
        return b.ToArray();
    }
}
