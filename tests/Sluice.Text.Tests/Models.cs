using Xunit;

namespace Sluice.Text.Tests;

internal static class Models
{
    public static string Root()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    /// <summary>models/all-MiniLM-L6-v2, extracted by scripts/setup-documents.sh.</summary>
    public static string MiniLm()
    {
        var dir = Path.Combine(Root(), "models", "all-MiniLM-L6-v2");
        if (!File.Exists(Path.Combine(dir, "model.onnx")) || !File.Exists(Path.Combine(dir, "vocab.txt")))
            Assert.Fail("models/all-MiniLM-L6-v2 is missing: run scripts/setup-documents.sh (scripts/test.sh does).");
        return dir;
    }

    public static string Corpus()
    {
        var dir = Path.Combine(Root(), "data", "pdf", "texlive-latex-base-doc");
        if (!File.Exists(Path.Combine(dir, ".complete")))
            Assert.Fail("data/pdf/texlive-latex-base-doc is missing: run scripts/setup-documents.sh (scripts/test.sh does).");
        return dir;
    }
}
