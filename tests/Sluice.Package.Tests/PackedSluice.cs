using System.Xml.Linq;
using Xunit;

namespace Sluice.Package.Tests;

/// <summary>
/// Packs the runtime packages (runtime/Sluice, Sluice.Media, Sluice.Onnx, Sluice.Arrow, Sluice.Parquet, Sluice.DuckDb,
/// Sluice.Warc, Sluice.S3, Sluice.Documents, Sluice.Text; Release) into a
/// fresh temporary folder that serves as a local feed.
/// Everything the tests make lives under one temporary folder outside the repository, deleted at the
/// end: the feed, the pack's build output (--artifacts-path, so the repository's bin/obj are not
/// touched), a private NuGet packages folder and the consumer projects.
/// </summary>
public sealed class PackedSluice : IAsyncLifetime
{
    public PackedSluice()
    {
        RepoRoot = FindRepoRoot();
        Root = Path.Combine(Path.GetTempPath(), "sluice-package-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Packages = Path.Combine(Root, "packages");
        Version = ReadVersion(RepoRoot);
    }

    /// <summary>The repository (the folder holding Pipelines.sln).</summary>
    public string RepoRoot { get; }

    /// <summary>The temporary folder that holds everything else.</summary>
    public string Root { get; }

    /// <summary>The local folder feed the package is packed into.</summary>
    public string Feed { get; }

    /// <summary>The consumers' private NuGet packages folder (never the user's global one).</summary>
    public string Packages { get; }

    /// <summary>The package version (Directory.Build.props).</summary>
    public string Version { get; }

    /// <summary>The packages, one per concern (docs/packaging.md), in dependency order.</summary>
    public static readonly string[] PackageIds = ["Sluice", "Sluice.Media", "Sluice.Onnx", "Sluice.Arrow", "Sluice.Parquet", "Sluice.DuckDb", "Sluice.Warc", "Sluice.S3", "Sluice.Documents", "Sluice.Text"];

    /// <summary>The packed core .nupkg.</summary>
    public string PackagePath => PathOf("Sluice");

    /// <summary>The packed .nupkg of <paramref name="id"/>.</summary>
    public string PathOf(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>The `dotnet pack` runs, one per package; the first that failed, else the last.</summary>
    public ProcessResult Pack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        foreach (var id in PackageIds)
        {
            Pack = await DotNet.RunAsync(RepoRoot, TimeSpan.FromMinutes(8), null,
                "pack", Path.Combine(RepoRoot, "runtime", id, id + ".csproj"), "-c", "Release", "-o", Feed,
                "--artifacts-path", Path.Combine(Root, "build"), "--disable-build-servers", "-nologo");
            if (Pack.ExitCode != 0) return;
        }
        // The GPU build of Sluice.Onnx (docs/onnx.md): the same project with -p:SluiceOnnxGpu=true, packed as
        // Sluice.Onnx.Gpu on Microsoft.ML.OnnxRuntime.Gpu.Linux; built apart, its restore differs.
        Pack = await DotNet.RunAsync(RepoRoot, TimeSpan.FromMinutes(8), null,
            "pack", Path.Combine(RepoRoot, "runtime", "Sluice.Onnx", "Sluice.Onnx.csproj"), "-c", "Release", "-o", Feed,
            "-p:SluiceOnnxGpu=true", "--artifacts-path", Path.Combine(Root, "build-gpu"), "--disable-build-servers", "-nologo");
    }

    public Task DisposeAsync()
    {
        for (int attempt = 0; attempt < 5 && Directory.Exists(Root); attempt++)
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { Thread.Sleep(500); }
            catch (UnauthorizedAccessException) { Thread.Sleep(500); }
        }
        return Task.CompletedTask;
    }

    /// <summary>Fails the calling test with the pack's output unless every package was made.</summary>
    public void AssertPacked()
    {
        Assert.True(Pack.ExitCode == 0, Pack.ToString());
        foreach (var id in PackageIds.Append("Sluice.Onnx.Gpu"))
            Assert.True(File.Exists(PathOf(id)), $"{PathOf(id)} was not made.\n{Pack}");
    }

    /// <summary>
    /// A nuget.config for a consumer: no inherited sources, the temporary feed, and the sources of the
    /// repository's own nuget.config for everything else. Source mapping sends Sluice and Sluice.* to the
    /// temporary feed only, so no other source can supply them.
    /// </summary>
    public string NuGetConfig()
    {
        var repoConfig = XDocument.Load(Path.Combine(RepoRoot, "nuget.config"));
        var others = repoConfig.Root!.Element("packageSources")?.Elements("add")
                         .Select(a => (Key: (string)a.Attribute("key")!, Value: (string)a.Attribute("value")!))
                         .Where(s => s.Key is not null && s.Value is not null)
                         .ToList() ?? [];
        var config = new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "sluice-local"), new XAttribute("value", Feed)),
                others.Select(s => new XElement("add", new XAttribute("key", s.Key), new XAttribute("value", s.Value)))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "sluice-local"),
                    new XElement("package", new XAttribute("pattern", "Sluice")),
                    new XElement("package", new XAttribute("pattern", "Sluice.*"))),
                others.Select(s => new XElement("packageSource", new XAttribute("key", s.Key),
                    new XElement("package", new XAttribute("pattern", "*"))))));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), config).ToString();
    }

    /// <summary>The environment of a consumer's dotnet commands: the private packages folder.</summary>
    public IReadOnlyDictionary<string, string> ConsumerEnvironment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = Packages,
    };

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipelines.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Pipelines.sln above {AppContext.BaseDirectory}.");
    }

    private static string ReadVersion(string repoRoot)
    {
        var props = XDocument.Load(Path.Combine(repoRoot, "Directory.Build.props"));
        return props.Descendants("Version").Select(v => v.Value.Trim()).FirstOrDefault(v => v.Length > 0)
               ?? throw new InvalidOperationException("Directory.Build.props has no <Version>.");
    }
}
