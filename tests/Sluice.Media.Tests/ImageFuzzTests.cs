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
