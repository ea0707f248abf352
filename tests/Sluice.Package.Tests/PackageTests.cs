using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Package.Tests;

/// <summary>
/// The packed Sluice package, used the way a user uses it: a project outside the repository with one
/// PackageReference, restored from a local folder feed, built by the packaged generator, run.
/// </summary>
public sealed class PackageTests(PackedSluice package, ITestOutputHelper log) : IClassFixture<PackedSluice>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_project_outside_the_repository_builds_and_runs_a_pipeline_from_the_package()
    {
        package.AssertPacked();
        log.WriteLine($"pack: {package.Pack.Elapsed.TotalSeconds:0.0} s");

        string dir = Path.Combine(package.Root, "consumer");
        Assert.False(IsUnder(dir, package.RepoRoot), $"{dir} is inside the repository.");
        string project = Consumer.Write(dir, package, Consumer.Pipeline);

        var build = await DotNet.RunAsync(dir, BuildTimeout, package.ConsumerEnvironment,
            "build", project, "-c", "Release", "--disable-build-servers", "-nologo");
        log.WriteLine($"build: {build.Elapsed.TotalSeconds:0.0} s");
        Assert.True(build.ExitCode == 0, build.ToString());

        // Sluice came from the temporary feed into the private packages folder, and the project
        // references no project of the repository.
        string metadata = File.ReadAllText(Path.Combine(package.Packages, "sluice", package.Version, ".nupkg.metadata"));
        using (var json = JsonDocument.Parse(metadata))
            Assert.Equal(Path.GetFullPath(package.Feed).TrimEnd('/', '\\'),
                         Path.GetFullPath(json.RootElement.GetProperty("source").GetString()!).TrimEnd('/', '\\'));
        string assets = File.ReadAllText(Path.Combine(dir, "obj", "project.assets.json"));
        Assert.DoesNotContain("\"type\": \"project\"", assets);
        Assert.Contains("analyzers/dotnet/cs/Sluice.Generators.dll", assets);

        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        var run = await DotNet.RunAsync(dir, RunTimeout, package.ConsumerEnvironment,
            "run", "--project", project, "-c", "Release", "--no-build", "--", data);
        log.WriteLine($"run: {run.Elapsed.TotalSeconds:0.0} s");
        log.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());

        // In memory: the filter dropped the blank line, the stages made Upper and Length.
        var memory = run.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("memory: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["memory: 1 HELLO 5", "memory: 3 SLUICE 6"], memory);

        // Through PipelineHost: the generated codecs read in.jsonl and wrote out.jsonl, in order.
        Assert.Contains("host: exit 0", run.Output);
        var written = File.ReadAllLines(Path.Combine(data, "out.jsonl")).Where(l => l.Length > 0).Select(Row).ToList();
        Assert.Equal([(1, "HELLO", 5), (3, "SLUICE", 6), (4, "PACKED", 6)], written);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "report.json")));
        Assert.Equal("completed", report.RootElement.GetProperty("status").GetString());
        Assert.Equal(4, report.RootElement.GetProperty("rowsRead").GetInt64());
        Assert.Equal(3, report.RootElement.GetProperty("rowsWritten").GetInt64());
        Assert.Equal(0, report.RootElement.GetProperty("rowsFailed").GetInt64());
    }

    [Fact]
    public async Task A_stage_reading_a_column_that_does_not_exist_is_a_compile_error_from_the_packaged_generator()
    {
        package.AssertPacked();

        string dir = Path.Combine(package.Root, "wrong-column");
        string project = Consumer.Write(dir, package, Consumer.WrongColumn);

        var build = await DotNet.RunAsync(dir, BuildTimeout, package.ConsumerEnvironment,
            "build", project, "-c", "Release", "--disable-build-servers", "-nologo");
        log.WriteLine($"build: {build.Elapsed.TotalSeconds:0.0} s");
        log.WriteLine(build.Output);
        Assert.False(build.TimedOut, build.ToString());
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLU0002", build.Output);
        Assert.Contains("shouted", build.Output);
    }

    private static (int Id, string Upper, int Length) Row(string line)
    {
        using var json = JsonDocument.Parse(line);
        JsonElement Get(string name) =>
            json.RootElement.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
        return (Get("id").GetInt32(), Get("upper").GetString()!, Get("length").GetInt32());
    }

    private static bool IsUnder(string path, string root)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        string parent = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(parent, StringComparison.Ordinal);
    }
}
