using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;
using Sluice.Media;

namespace Sluice.Media.Tests;

/// <summary>
/// Compares <see cref="Image.Resize"/> (and JPEG decoding) with Pillow, run as /usr/bin/python3 with
/// Debian's python3-pil (installed by scripts/setup-native.sh).
/// Tolerance: Resize uses Pillow's coefficient windows and its 22-bit fixed-point rounding, with an
/// 8-bit intermediate between the passes as Pillow's 8bpc path has, so on PNG input (lossless, decoding
/// is not part of the difference) the outputs are asserted byte-identical: max |difference| = 0.
/// RGBA goes through the same premultiply → resample → unpremultiply rounding as Pillow, also exact.
/// JPEG: libjpeg-turbo through TurboJPEG and Pillow's libjpeg (Debian links libjpeg62-turbo; both use
/// the accurate integer IDCT and fancy upsampling) are asserted to decode identically too (max 0),
/// and so the resize of each decode must match exactly as well.
/// </summary>
public class PillowReferenceTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys
        from PIL import Image
        filters = {"Bilinear": Image.BILINEAR, "Area": Image.BOX}
        for job in json.load(open(sys.argv[1])):
            im = Image.open(job["input"])
            im.load()
            if job.get("decoded"):
                open(job["decoded"], "wb").write(im.tobytes())
            out = im.resize((job["width"], job["height"]), filters[job["filter"]])
            open(job["output"], "wb").write(out.tobytes())
        """;

    private sealed record Job(string Input, string? Decoded, int Width, int Height, string Filter, string Output);

    private static Image Noise(int width, int height, PixelMode mode, int seed)
    {
        var rng = new Random(seed);
        var img = Image.Create(width, height, mode);
        rng.NextBytes(img.Span);
        return img;
    }

    private static void RunPillow(string dir, IReadOnlyList<Job> jobs)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing; run scripts/setup-native.sh (it installs python3 and python3-pil).");
        string script = Path.Combine(dir, "reference.py"), jobsFile = Path.Combine(dir, "jobs.json");
        File.WriteAllText(script, Script);
        File.WriteAllText(jobsFile, JsonSerializer.Serialize(jobs.Select(j => new Dictionary<string, object?>
        {
            ["input"] = j.Input, ["decoded"] = j.Decoded, ["width"] = j.Width, ["height"] = j.Height,
            ["filter"] = j.Filter, ["output"] = j.Output,
        })));
        var psi = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(jobsFile);
        using var process = Process.Start(psi)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "Pillow did not finish in 2 minutes.");
        if (process.ExitCode != 0 && stderr.Contains("No module named 'PIL'"))
            Assert.Fail("Pillow is missing for /usr/bin/python3; run scripts/setup-native.sh (it installs python3-pil).");
        Assert.True(process.ExitCode == 0, $"The Pillow script failed ({process.ExitCode}): {stderr}");
    }

    private static (int Max, double Mean) Compare(ReadOnlySpan<byte> ours, byte[] pillow, string what)
    {
        Assert.True(ours.Length == pillow.Length, $"{what}: {ours.Length} bytes from Sluice, {pillow.Length} from Pillow.");
        int max = 0;
        long sum = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            int d = Math.Abs(ours[i] - pillow[i]);
            sum += d;
            if (d > max) max = d;
        }
        return (max, (double)sum / Math.Max(1, ours.Length));
    }

    [Fact]
    public void Resize_matches_pillow_on_png_and_jpeg_input()
    {
        string dir = Directory.CreateTempSubdirectory("sluice-pillow-").FullName;
        try
        {
            // (name, image, targets): strong downscales, mild ones, one axis only, and upscales.
            var cases = new List<(string Name, Image Image, bool Jpeg, (int W, int H)[] Sizes)>
            {
                ("gradient", TestImages.Gradient(1000, 750), false, [(224, 224), (224, 168), (333, 250), (999, 750), (1000, 10)]),
                ("noise", Noise(640, 480, PixelMode.RGB, 1), false, [(224, 224), (97, 480), (641, 479), (1300, 900)]),
                ("gray", Noise(333, 217, PixelMode.L, 2), false, [(224, 146), (500, 400), (3, 2)]),
                ("alpha", Noise(301, 203, PixelMode.RGBA, 4), false, [(224, 150), (64, 203), (400, 300)]),
                ("photo", TestImages.Textured(800, 600, 3), true, [(256, 192), (224, 224), (1024, 768)]),
            };
            var jobs = new List<Job>();
            var ours = new Dictionary<string, Image>();
            try
            {
                foreach (var (name, image, jpeg, sizes) in cases)
                {
                    string input = Path.Combine(dir, name + (jpeg ? ".jpg" : ".png"));
                    using (var encoded = jpeg ? image.EncodeJpeg(90) : image.EncodePng())
                        File.WriteAllBytes(input, encoded.Span.ToArray());
                    // Resize what we decode: for PNG that is the original pixels, for JPEG our own decode.
                    var decoded = Image.Decode(File.ReadAllBytes(input), mode: image.Mode);
                    ours[name] = decoded;
                    bool first = true;
                    foreach (var (w, h) in sizes)
                        foreach (var filter in new[] { ResizeFilter.Bilinear, ResizeFilter.Area })
                        {
                            string key = $"{name}-{w}x{h}-{filter}";
                            jobs.Add(new Job(input, first ? Path.Combine(dir, name + ".raw") : null, w, h, filter.ToString(), Path.Combine(dir, key + ".raw")));
                            first = false;
                        }
                }

                RunPillow(dir, jobs);

                var report = new StringBuilder();
                int worst = 0;
                foreach (var job in jobs)
                {
                    string name = Path.GetFileNameWithoutExtension(job.Input);
                    var decoded = ours[name];
                    if (job.Decoded is not null)
                    {
                        var (dMax, dMean) = Compare(decoded.Span, File.ReadAllBytes(job.Decoded), $"{name} decode");
                        report.AppendLine($"{name} decode: max {dMax}, mean {dMean:F4}");
                        worst = Math.Max(worst, dMax);
                    }
                    using var resized = decoded.Resize(job.Width, job.Height, Enum.Parse<ResizeFilter>(job.Filter));
                    var (max, mean) = Compare(resized.Span, File.ReadAllBytes(job.Output), Path.GetFileName(job.Output));
                    report.AppendLine($"{Path.GetFileNameWithoutExtension(job.Output)}: max {max}, mean {mean:F4}");
                    worst = Math.Max(worst, max);
                }
                output.WriteLine(report.ToString());
                Assert.True(worst == 0, "Sluice differs from Pillow:\n" + report);
            }
            finally
            {
                foreach (var c in cases) c.Image.Dispose();
                foreach (var img in ours.Values) img.Dispose();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
