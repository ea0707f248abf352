using System.Globalization;
using System.Text;
using Xunit;
using Xunit.Abstractions;
using Sluice.Media;
using Sluice.Testing;

namespace Sluice.Media.Tests;

/// <summary>
/// ImageNet evaluation preprocessing against torchvision itself (Debian python3-torch/python3-torchvision,
/// /usr/bin/python3): PIL <c>Image.open(path).convert("RGB")</c>, then
/// <c>Compose([Resize(256), CenterCrop(224), ToTensor(), Normalize(ImageNet mean/std)])</c>, against
/// Sluice's <see cref="Image.Decode"/> → <see cref="Image.ResizeShorterSide"/>(256) → <see cref="Image.CenterCrop"/>(224)
/// (and the fused <see cref="Image.ResizeShorterSideCenterCrop"/>(256, 224, 224))
/// → <see cref="Image.ToTensor"/>, the chain benchmarks/Sluice.Benchmarks/Preprocess.cs runs and
/// benchmarks/python/torch_preprocess.py compares with. Landscape, portrait and PNG inputs, with crop offsets
/// that land on .5 (Python's round halves to even). Full-size decode: max |difference| 0 (asserted ≤ 1e-6).
/// Shrink on load: PIL's <c>draft("RGB", (256, 256))</c> and Sluice's <c>shrinkTo: 256</c> both scale by
/// 1/2, 1/4 or 1/8 (PIL needs each side at least 2 x 256 for 1/2, Sluice the rounded-up half at least 256, so
/// a 511-pixel side is where they part); the case here decodes at 1/2 in both and is asserted the same way.
/// </summary>
public class TorchvisionReferenceTests(ITestOutputHelper output)
{
    private const string Script = """
        import sys
        import torch
        from PIL import Image
        from torchvision import transforms
        t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
        for arg in sys.argv[1:]:
            path, out, draft = arg.split("|")
            img = Image.open(path)
            if draft == "1":
                img.draft("RGB", (256, 256))
            x = t(img.convert("RGB"))
            assert x.dtype == torch.float32 and tuple(x.shape) == (3, 224, 224), x.shape
            open(out, "wb").write(x.contiguous().numpy().tobytes())
        """;

    [Fact]
    public void Preprocessing_matches_torchvision_transforms()
    {
        string dir = Directory.CreateTempSubdirectory("sluice-torchvision-").FullName;
        try
        {
            // (name, width, height, jpeg, shrink on load): 640x480 → 341x256, left = round(58.5) = 58;
            // 517x300 → 441x256, left = round(108.5) = 108; 600x520 decodes at 1/2 with both shrinks.
            var cases = new (string Name, int Width, int Height, bool Jpeg, bool Shrink)[]
            {
                ("landscape", 640, 480, true, false),
                ("portrait", 480, 641, true, false),
                ("png", 517, 300, false, false),
                ("half", 600, 520, true, false),
                ("half-shrink", 600, 520, true, true),
            };
            var jobs = new List<string>();
            foreach (var (name, width, height, jpeg, shrink) in cases)
            {
                string input = Path.Combine(dir, name + (jpeg ? ".jpg" : ".png"));
                using (var image = TestImages.Textured(width, height, name.Length))
                using (var encoded = jpeg ? image.EncodeJpeg(90) : image.EncodePng())
                    File.WriteAllBytes(input, encoded.Span.ToArray());
                jobs.Add($"{input}|{Path.Combine(dir, name + ".f32")}|{(shrink ? 1 : 0)}");
            }
            PythonReference.Run(dir, Script,
                "torchvision failed; run scripts/setup-models.sh (it installs python3-torch and python3-torchvision)",
                [.. jobs]);

            var report = new StringBuilder();
            double worst = 0;
            foreach (var (name, _, _, jpeg, shrink) in cases)
            {
                var expected = PythonReference.Floats(Path.Combine(dir, name + ".f32"));
                var twoSteps = new float[3 * 224 * 224];
                var fused = new float[3 * 224 * 224];
                using (var decoded = Image.Decode(File.ReadAllBytes(Path.Combine(dir, name + (jpeg ? ".jpg" : ".png"))), shrinkTo: shrink ? 256 : 0))
                {
                    using (var resized = decoded.ResizeShorterSide(256))
                    using (var cropped = resized.CenterCrop(224, 224))
                        cropped.ToTensor(twoSteps, Normalize.ImageNetMean, Normalize.ImageNetStd);
                    using (var cropped = decoded.ResizeShorterSideCenterCrop(256, 224, 224))
                        cropped.ToTensor(fused, Normalize.ImageNetMean, Normalize.ImageNetStd);
                }
                foreach (var (path, actual) in new[] { ("two steps", twoSteps), ("fused", fused) })
                {
                    Assert.Equal(expected.Length, actual.Length);
                    double max = 0;
                    for (int i = 0; i < actual.Length; i++) max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
                    report.AppendLine(CultureInfo.InvariantCulture, $"{name} ({path}): max |Sluice - torchvision| = {max:G3}");
                    worst = Math.Max(worst, max);
                }
            }
            output.WriteLine(report.ToString());
            Assert.True(worst <= 1e-6, "Sluice's tensors differ from torchvision's:\n" + report);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
