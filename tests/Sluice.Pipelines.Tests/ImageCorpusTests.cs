using System.Text.Json;
using ImageClassification;
using Sluice.Media;
using Xunit;

namespace Sluice.Pipelines.Tests;

/// <summary>
/// The ImageClassification sample's corpus builder over the real wallpapers (plasma-workspace-wallpapers,
/// installed by scripts/setup-native.sh): counts, formats, sizes, determinism and corrupt files.
/// </summary>
public sealed class ImageCorpusTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"sluice-corpus-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private IReadOnlyList<CorpusEntry> Build(string name, int count, int seed, double corrupt = 0.15)
    {
        if (!Directory.Exists(CorpusOptions.DefaultSource))
            Assert.Fail($"{CorpusOptions.DefaultSource} is missing; run scripts/setup-native.sh (it installs plasma-workspace-wallpapers).");
        return CorpusBuilder.Build(new CorpusOptions
        {
            Count = count,
            Output = Path.Combine(_root, name),
            Seed = seed,
            CorruptFraction = corrupt,
            PngFraction = 0.25,
        });
    }

    [Fact]
    public void Writes_the_files_and_a_manifest_line_for_each()
    {
        var entries = Build("a", 20, seed: 3);
        string dir = Path.Combine(_root, "a");
        var labels = CorpusBuilder.FindWallpapers(CorpusOptions.DefaultSource).Select(w => w.Label).ToHashSet();

        var lines = File.ReadAllLines(Path.Combine(dir, CorpusBuilder.ManifestName));
        Assert.Equal(20, lines.Length);
        Assert.Equal(21, Directory.GetFiles(dir).Length);   // 20 images and the manifest
        for (int i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            string url = json.RootElement.GetProperty("url").GetString()!;
            string label = json.RootElement.GetProperty("label").GetString()!;
            Assert.Equal(entries[i].Url, url);
            Assert.Equal(entries[i].Label, label);
            Assert.Contains(label, labels);
            Assert.True(File.Exists(Path.Combine(dir, url)), url);
        }
        // ceil(20 × 0.15) = 3 corrupt files, one of each kind; both formats among the good ones.
        Assert.Equal(1, entries.Count(e => e.Kind == CorpusFileKind.TruncatedJpeg));
        Assert.Equal(1, entries.Count(e => e.Kind == CorpusFileKind.RandomBytes));
        Assert.Equal(1, entries.Count(e => e.Kind == CorpusFileKind.Empty));
        Assert.Contains(entries, e => e.Kind == CorpusFileKind.Jpeg);
        Assert.Contains(entries, e => e.Kind == CorpusFileKind.Png);
    }

    [Fact]
    public void Good_files_are_jpeg_or_png_crops_with_a_shorter_side_of_300_to_800()
    {
        var entries = Build("a", 20, seed: 3);
        foreach (var e in entries.Where(e => e.Kind is CorpusFileKind.Jpeg or CorpusFileKind.Png))
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(_root, "a", e.Url));
            if (e.Kind == CorpusFileKind.Jpeg)
            {
                Assert.True(bytes.AsSpan().StartsWith(new byte[] { 0xFF, 0xD8, 0xFF }), e.Url);
                Assert.EndsWith(".jpg", e.Url);
            }
            else
            {
                Assert.True(bytes.AsSpan().StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), e.Url);
                Assert.EndsWith(".png", e.Url);
            }
            using var image = Image.Decode(bytes);
            Assert.Equal((e.Width, e.Height), (image.Width, image.Height));
            int shorter = Math.Min(image.Width, image.Height), longer = Math.Max(image.Width, image.Height);
            Assert.InRange(shorter, CorpusBuilder.MinSide, CorpusBuilder.MaxSide);
            Assert.InRange((double)longer / shorter, 1.0, 4.0 / 3.0 + 0.01);   // aspect 3:4 to 4:3
        }
    }

    [Fact]
    public void Corrupt_files_fail_to_decode()
    {
        var entries = Build("a", 20, seed: 3);
        foreach (var e in entries.Where(e => e.Kind is not (CorpusFileKind.Jpeg or CorpusFileKind.Png)))
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(_root, "a", e.Url));
            Assert.EndsWith(".jpg", e.Url);
            switch (e.Kind)
            {
                case CorpusFileKind.Empty: Assert.Empty(bytes); break;
                case CorpusFileKind.TruncatedJpeg: Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat(bytes)); break;
                case CorpusFileKind.RandomBytes: Assert.Equal(ImageFormat.Unknown, Image.DetectFormat(bytes)); break;
            }
            Assert.Throws<ImageDecodeException>(() => Image.Decode(bytes, shrinkTo: 256).Dispose());
        }
    }

    [Fact]
    public void The_same_seed_writes_the_same_bytes_and_another_seed_does_not()
    {
        Build("a", 20, seed: 3);
        Build("b", 20, seed: 3);
        Build("c", 20, seed: 4);
        var names = Directory.GetFiles(Path.Combine(_root, "a")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(names, Directory.GetFiles(Path.Combine(_root, "b")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in names)
            Assert.Equal(File.ReadAllBytes(Path.Combine(_root, "a", name!)), File.ReadAllBytes(Path.Combine(_root, "b", name!)));
        Assert.NotEqual(
            File.ReadAllBytes(Path.Combine(_root, "a", CorpusBuilder.ManifestName)).Concat(File.ReadAllBytes(Path.Combine(_root, "a", "000000.jpg"))),
            File.ReadAllBytes(Path.Combine(_root, "c", CorpusBuilder.ManifestName)).Concat(File.ReadAllBytes(Path.Combine(_root, "c", "000000.jpg"))));
    }

    [Fact]
    public void One_percent_corrupt_by_default()
    {
        var entries = CorpusBuilder.Build(new CorpusOptions { Count = 300, Output = Path.Combine(_root, "d"), Seed = 9, Threads = 1 });
        Assert.Equal(3, entries.Count(e => e.Kind is not (CorpusFileKind.Jpeg or CorpusFileKind.Png)));
        int png = entries.Count(e => e.Kind == CorpusFileKind.Png);
        Assert.InRange(png, 10, 60);   // about 10% of 297
    }
}
