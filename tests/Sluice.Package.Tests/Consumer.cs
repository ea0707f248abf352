namespace Sluice.Package.Tests;

/// <summary>A user's console project that references the Sluice package and nothing else.</summary>
internal static class Consumer
{
    /// <summary>The pipeline as a user writes it: records, stages, a filter.</summary>
    public const string Pipeline = """
        public sealed record Line(int Id, string Text);
        public sealed record Shout(int Id, string Upper, int Length);

        [Pipeline(typeof(Line), typeof(Shout))]
        public static partial class Shouter
        {
            [Stage] static string Clean(string text) => text.Trim();
            [Filter] static bool NotEmpty(string clean) => clean.Length > 0;
            [Stage] static string Upper(string clean) => clean.ToUpperInvariant();
            [Stage] static int Length(string upper) => upper.Length;
        }
        """;

    /// <summary>The same pipeline with a stage parameter naming a column that does not exist (SLU0002).</summary>
    public const string WrongColumn = """
        public sealed record Line(int Id, string Text);
        public sealed record Shout(int Id, string Upper, int Length);

        [Pipeline(typeof(Line), typeof(Shout))]
        public static partial class Shouter
        {
            [Stage] static string Clean(string text) => text.Trim();
            [Filter] static bool NotEmpty(string clean) => clean.Length > 0;
            [Stage] static string Upper(string clean) => clean.ToUpperInvariant();
            [Stage] static int Length(string shouted) => shouted.Length;
        }
        """;

    /// <summary>
    /// Runs the pipeline in memory (Create().RunAsync(rows)), then as a command-line program
    /// (Shouter.RunAsync(args), i.e. PipelineHost) over a JSON Lines file it writes into args[0].
    /// </summary>
    private const string Main = """"
        using Sluice;

        var lines = new[] { new Line(1, "  hello "), new Line(2, "   "), new Line(3, "sluice") };
        var rows = await Shouter.Create().RunAsync(lines);
        foreach (var row in rows.OrderBy(r => r.Id)) Console.WriteLine($"memory: {row.Id} {row.Upper} {row.Length}");

        string dir = args[0];
        string input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl"), report = Path.Combine(dir, "report.json");
        File.WriteAllLines(input, new[]
        {
            """{"id":1,"text":"  hello "}""",
            """{"id":2,"text":"   "}""",
            """{"id":3,"text":"sluice"}""",
            """{"id":4,"text":" packed  "}""",
        });
        int code = await Shouter.RunAsync(new[] { "--input", input, "--output", output, "--report", report, "--ordered", "--workers", "2", "--progress", "none" });
        Console.WriteLine($"host: exit {code}");
        return code;

        """";

    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <RestorePackagesPath>{PACKAGES}</RestorePackagesPath>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Sluice" Version="{VERSION}" />
          </ItemGroup>
        </Project>
        """;

    /// <summary>Writes the consumer into <paramref name="dir"/> (created) and returns its project file.</summary>
    public static string Write(string dir, PackedSluice package, string pipeline)
    {
        Directory.CreateDirectory(dir);
        // Stop MSBuild's upward search: nothing above the temporary folder may shape this project.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), package.NuGetConfig());
        File.WriteAllText(Path.Combine(dir, "Program.cs"), Main + pipeline + "\n");
        string project = Path.Combine(dir, "Consumer.csproj");
        File.WriteAllText(project, Project.Replace("{PACKAGES}", package.Packages).Replace("{VERSION}", package.Version));
        return project;
    }
}
