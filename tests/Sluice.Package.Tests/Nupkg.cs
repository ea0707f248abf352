using System.IO.Compression;
using System.Xml.Linq;

namespace Sluice.Package.Tests;

/// <summary>A packed .nupkg read back as a zip: its files and its nuspec's dependencies.</summary>
internal sealed record Nupkg(IReadOnlyList<string> Files, IReadOnlyList<(string Id, string Version)> Dependencies)
{
    public static Nupkg Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var files = zip.Entries.Select(e => e.FullName).ToList();
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var doc = XDocument.Load(stream);
        var dependencies = doc.Descendants().Where(e => e.Name.LocalName == "dependency")
                              .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!))
                              .Distinct().ToList();
        return new Nupkg(files, dependencies);
    }
}
