using System.Diagnostics;
using Xunit;

namespace Sluice.Documents.Tests;

/// <summary>The real PDFs scripts/setup-documents.sh unpacks (Debian's texlive-latex-base-doc), and poppler's tools as the independent reader.</summary>
internal static class Corpus
{
    public static string Root()
    {
        var dir = AppContext.BaseDirectory;
        while (!System.IO.File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public static string Directory()
    {
        var corpus = Path.Combine(Root(), "data", "pdf", "texlive-latex-base-doc");
        if (!System.IO.File.Exists(Path.Combine(corpus, ".complete")))
            Assert.Fail("data/pdf/texlive-latex-base-doc is missing: run scripts/setup-documents.sh (scripts/test.sh does).");
        return corpus;
    }

    public static string File(string relative) => Path.Combine(Directory(), relative);

    /// <summary>Runs a program and returns its standard output (fails the test when it exits non-zero).</summary>
    public static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"{program} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>poppler's page count (pdfinfo).</summary>
    public static int PopplerPages(string path) =>
        int.Parse(Run("pdfinfo", path).Split('\n').Single(l => l.StartsWith("Pages:", StringComparison.Ordinal))[6..].Trim());

    /// <summary>poppler's text of one page (pdftotext).</summary>
    public static string PopplerText(string path, int page) => Run("pdftotext", "-f", $"{page}", "-l", $"{page}", "-enc", "UTF-8", path, "-");

    /// <summary>The lower-cased words (letters only, 3 or more) of a text.</summary>
    public static HashSet<string> Words(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text.ToLowerInvariant(), @"\p{L}{3,}").Select(m => m.Value).ToHashSet();
}
