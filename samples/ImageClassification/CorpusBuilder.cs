using System.Text.Json;
using Sluice.Media;

namespace ImageClassification;

/// <summary>How <see cref="CorpusBuilder"/> makes a corpus.</summary>
public sealed record CorpusOptions
{
    /// <summary>The default source: Debian's plasma-workspace-wallpapers (see scripts/setup-native.sh).</summary>
    public const string DefaultSource = "/usr/share/wallpapers";

    /// <summary>Images to write, corrupt ones included.</summary>
    public int Count { get; init; } = 1000;

    /// <summary>The folder the images and manifest.jsonl go to.</summary>
    public required string Output { get; init; }

    /// <summary>Same seed, same files (byte for byte).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>A folder of wallpapers laid out as NAME/contents/images/WxH.{jpg,png}; NAME is the label.</summary>
    public string Source { get; init; } = DefaultSource;

    /// <summary>The share of corrupt files (truncated JPEG, random bytes named .jpg, empty): ceil(Count × this).</summary>
    public double CorruptFraction { get; init; } = 0.01;

    /// <summary>The share of PNG files among the good ones.</summary>
    public double PngFraction { get; init; } = 0.10;

    /// <summary>Each wallpaper is decoded once at this shorter side (JPEG DCT scaling, PNG resized) and cropped from.</summary>
    public int ShrinkTo { get; init; } = 1024;

    /// <summary>Worker threads; 0 is one per core. The output does not depend on it.</summary>
    public int Threads { get; init; }
}

/// <summary>What one manifest line says, and what the builder knows about the file.</summary>
public sealed record CorpusEntry(string Url, string Label, CorpusFileKind Kind, int Width, int Height);

/// <summary>What a corpus file holds.</summary>
public enum CorpusFileKind
{
    /// <summary>A JPEG photograph crop.</summary>
    Jpeg,
    /// <summary>A PNG photograph crop.</summary>
    Png,
    /// <summary>A JPEG cut off part way through.</summary>
    TruncatedJpeg,
    /// <summary>Random bytes with a .jpg name.</summary>
    RandomBytes,
    /// <summary>An empty .jpg file.</summary>
    Empty,
}

/// <summary>
/// Builds an ImageNet-like corpus from real photographs: seeded random crops (aspect 3:4 to 4:3) of
/// the wallpapers under <see cref="CorpusOptions.Source"/>, scaled to a shorter side of 300 to 800 px,
/// JPEG at quality 75 to 95 (about 10% PNG), plus about 1% corrupt files, and manifest.jsonl with
/// {"url", "label"} per file (corrupt ones too: a pipeline must dead-letter them).
/// Every image draws from its own generator seeded by (seed, index), so the files do not depend on threads.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>The manifest's file name inside the output folder.</summary>
    public const string ManifestName = "manifest.jsonl";

    /// <summary>The smallest and largest shorter side of a good image.</summary>
    public const int MinSide = 300, MaxSide = 800;

    /// <summary>Writes the corpus and returns its entries in manifest order.</summary>
    public static IReadOnlyList<CorpusEntry> Build(CorpusOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Count);
        Directory.CreateDirectory(options.Output);
        var sources = LoadSources(options.Source, options.ShrinkTo, options.Threads);
        try
        {
            var corrupt = CorruptIndices(options.Count, options.CorruptFraction, options.Seed);
            var entries = new CorpusEntry[options.Count];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
            Parallel.For(0, options.Count, parallel, i =>
            {
                entries[i] = WriteOne(options, sources, i, corrupt.TryGetValue(i, out var kind) ? kind : null);
            });
            WriteManifest(Path.Combine(options.Output, ManifestName), entries);
            return entries;
        }
        finally
        {
            foreach (var s in sources) s.Image.Dispose();
        }
    }

    /// <summary>The wallpapers found under <paramref name="root"/>: name and the path of its largest image.</summary>
    public static IReadOnlyList<(string Label, string Path)> FindWallpapers(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException(
                $"No wallpapers at {root}: run scripts/setup-native.sh (it installs plasma-workspace-wallpapers) or pass --source DIR.");
        var found = new List<(string, string)>();
        foreach (var dir in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            var images = Path.Combine(dir, "contents", "images");
            if (!Directory.Exists(images)) continue;
            var best = Directory.GetFiles(images)
                .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(PixelsFromName).ThenBy(f => f, StringComparer.Ordinal)
                .FirstOrDefault();
            if (best is not null) found.Add((Path.GetFileName(dir), best));
        }
        if (found.Count == 0) throw new InvalidOperationException($"No NAME/contents/images/*.jpg|png under {root}.");
        return found;
    }

    private static long PixelsFromName(string path)
    {
        var parts = Path.GetFileNameWithoutExtension(path).Split('x');
        return parts.Length == 2 && long.TryParse(parts[0], out long w) && long.TryParse(parts[1], out long h) ? w * h : 0;
    }

    private sealed record Source(string Label, Image Image);

    private static List<Source> LoadSources(string root, int shrinkTo, int threads)
    {
        var found = FindWallpapers(root);
        var loaded = new Source[found.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, found.Count, parallel, i =>
        {
            var image = Image.Decode(File.ReadAllBytes(found[i].Path), shrinkTo);
            if (Math.Min(image.Width, image.Height) > shrinkTo)
            {
                var smaller = image.ResizeShorterSide(shrinkTo);
                image.Dispose();
                image = smaller;
            }
            loaded[i] = new Source(found[i].Label, image);
        });
        return [.. loaded];
    }

    /// <summary>ceil(count × fraction) distinct indices drawn by the seed, with their kinds in turn.</summary>
    private static Dictionary<int, CorpusFileKind> CorruptIndices(int count, double fraction, int seed)
    {
        int n = Math.Min(count, (int)Math.Ceiling(count * Math.Clamp(fraction, 0, 1)));
        var order = Enumerable.Range(0, count).ToArray();
        new Random(Mix(seed, -1)).Shuffle(order);
        var kinds = new[] { CorpusFileKind.TruncatedJpeg, CorpusFileKind.RandomBytes, CorpusFileKind.Empty };
        var result = new Dictionary<int, CorpusFileKind>();
        for (int k = 0; k < n; k++) result[order[k]] = kinds[k % kinds.Length];
        return result;
    }

    private static CorpusEntry WriteOne(CorpusOptions options, List<Source> sources, int index, CorpusFileKind? corruptKind)
    {
        var rng = new Random(Mix(options.Seed, index));
        var source = sources[rng.Next(sources.Count)];
        int side = rng.Next(MinSide, MaxSide + 1);
        bool png = corruptKind is null && rng.NextDouble() < options.PngFraction;
        int quality = rng.Next(75, 96);

        string name = $"{index:D6}.{(png ? "png" : "jpg")}";
        string path = Path.Combine(options.Output, name);
        if (corruptKind is CorpusFileKind.Empty)
        {
            File.WriteAllBytes(path, []);
            return new CorpusEntry(name, source.Label, CorpusFileKind.Empty, 0, 0);
        }
        if (corruptKind is CorpusFileKind.RandomBytes)
        {
            var junk = new byte[rng.Next(1_000, 50_000)];
            rng.NextBytes(junk);
            junk[0] = 0x00; // neither FF D8 FF (JPEG) nor 89 'PNG': junk is never mistaken for a real header
            File.WriteAllBytes(path, junk);
            return new CorpusEntry(name, source.Label, CorpusFileKind.RandomBytes, 0, 0);
        }

        using var scaled = Crop(source.Image, side, rng);
        using var encoded = png ? scaled.EncodePng() : scaled.EncodeJpeg(quality);
        if (corruptKind is CorpusFileKind.TruncatedJpeg)
        {
            // Keep the header and a part of the scan: 20% to 70% of the file.
            int keep = (int)(encoded.Length * (0.2 + 0.5 * rng.NextDouble()));
            File.WriteAllBytes(path, encoded.Span[..keep]);
            return new CorpusEntry(name, source.Label, CorpusFileKind.TruncatedJpeg, scaled.Width, scaled.Height);
        }
        File.WriteAllBytes(path, encoded.Span);
        return new CorpusEntry(name, source.Label, png ? CorpusFileKind.Png : CorpusFileKind.Jpeg, scaled.Width, scaled.Height);
    }

    /// <summary>
    /// A random crop with aspect 3:4..4:3 (log-uniform), 40% to 100% of the largest that fits (never smaller
    /// than <paramref name="side"/> when the source allows, so it is scaled down), scaled to shorter side <paramref name="side"/>.
    /// </summary>
    private static Image Crop(Image source, int side, Random rng)
    {
        double aspect = Math.Exp(Math.Log(3.0 / 4.0) + rng.NextDouble() * Math.Log(16.0 / 9.0));
        double w = source.Width, h = source.Height;
        if (w / h > aspect) w = h * aspect; else h = w / aspect;
        double low = Math.Clamp(side / Math.Min(w, h), 0.4, 1.0);
        double scale = low + (1.0 - low) * rng.NextDouble();
        int cw = Math.Max(1, (int)(w * scale)), ch = Math.Max(1, (int)(h * scale));
        int x = rng.Next(source.Width - cw + 1), y = rng.Next(source.Height - ch + 1);
        using var crop = source.Crop(x, y, cw, ch);
        return crop.ResizeShorterSide(side);
    }

    private static void WriteManifest(string path, CorpusEntry[] entries)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);
        foreach (var e in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("url", e.Url);
            writer.WriteString("label", e.Label);
            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
        }
    }

    /// <summary>SplitMix64 of (seed, index), folded to a non-negative int seed.</summary>
    private static int Mix(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
