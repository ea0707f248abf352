using System.Diagnostics;
using System.Text.Json;

namespace DocumentEmbedding;

/// <summary>What <see cref="CorpusBuilder.Build"/> makes.</summary>
public sealed record CorpusOptions
{
    /// <summary>The folder of real PDFs (searched recursively); scripts/setup-documents.sh unpacks Debian's texlive docs there.</summary>
    public string Source { get; init; } = "data/pdf/texlive-latex-base-doc";
    /// <summary>Where the manifest and the damaged files go.</summary>
    public required string Output { get; init; }
    /// <summary>Manifest rows of real PDFs; more than the folder holds repeats them (said on the console).</summary>
    public int Count { get; init; } = 200;
    /// <summary>Damaged files added (cycling through truncated, HTML, empty, garbage, encrypted, missing).</summary>
    public int Damaged { get; init; } = 6;
    /// <summary>The shuffle's seed.</summary>
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Writes a manifest (JSON Lines of <c>{"url": path}</c>, absolute paths) of real PDFs in a seeded order, plus damaged
/// files on purpose: a PDF cut at 30%, an HTML error page named .pdf, an empty file, random bytes after a PDF header, a
/// password-encrypted PDF (made with qpdf when it is installed), and a path that does not exist.
/// </summary>
public static class CorpusBuilder
{
    /// <summary>The manifest's file name in the output folder.</summary>
    public const string ManifestName = "manifest.jsonl";

    /// <summary>Builds the corpus; returns the manifest's rows and how many real PDFs the source folder had.</summary>
    public static (List<string> Urls, int Distinct) Build(CorpusOptions o)
    {
        if (!Directory.Exists(o.Source))
            throw new DirectoryNotFoundException($"The PDF folder '{o.Source}' does not exist: run scripts/setup-documents.sh.");
        var real = Directory.EnumerateFiles(o.Source, "*.pdf", SearchOption.AllDirectories).Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
        if (real.Length == 0) throw new InvalidDataException($"'{o.Source}' holds no PDFs.");
        new Random(o.Seed).Shuffle(real);
        Directory.CreateDirectory(o.Output);
        var urls = new List<string>();
        for (int i = 0; i < o.Count; i++) urls.Add(real[i % real.Length]);
        string damagedDir = Path.Combine(Path.GetFullPath(o.Output), "damaged");
        Directory.CreateDirectory(damagedDir);
        var rng = new Random(o.Seed + 1);
        for (int i = 0; i < o.Damaged; i++)
        {
            string source = real[rng.Next(real.Length)];
            string path = Path.Combine(damagedDir, $"damaged-{i:D3}.pdf");
            switch (i % 6)
            {
                case 0:
                    var bytes = File.ReadAllBytes(source);
                    File.WriteAllBytes(path, bytes[..(int)(bytes.Length * 0.3)]);
                    break;
                case 1:
                    File.WriteAllText(path, "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n");
                    break;
                case 2:
                    File.WriteAllBytes(path, []);
                    break;
                case 3:
                    var garbage = new byte[64 * 1024];
                    rng.NextBytes(garbage);
                    "%PDF-1.7\n"u8.CopyTo(garbage);
                    File.WriteAllBytes(path, garbage);
                    break;
                case 4:
                    if (!Encrypt(source, path)) continue;
                    break;
                default:
                    path = Path.Combine(damagedDir, $"missing-{i:D3}.pdf"); // never written
                    break;
            }
            // Spread the damaged rows through the manifest.
            urls.Insert(rng.Next(urls.Count + 1), path);
        }
        using var writer = new StreamWriter(Path.Combine(o.Output, ManifestName));
        foreach (var url in urls) writer.WriteLine(JsonSerializer.Serialize(new { url }));
        return (urls, real.Length);
    }

    private static bool Encrypt(string source, string path)
    {
        try
        {
            var psi = new ProcessStartInfo("qpdf") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--encrypt", "user-password", "owner-password", "256", "--", source, path }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode is 0 or 3 && File.Exists(path); // 3: done with warnings
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // qpdf is not installed
        }
    }
}
