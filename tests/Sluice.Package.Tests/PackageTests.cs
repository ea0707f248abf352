using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Package.Tests;

/// <summary>
/// The packed Sluice packages, used the way a user uses them: projects outside the repository with
/// PackageReferences only, restored from a local folder feed, built by the packaged generator, run.
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

    [Fact]
    public void Each_package_holds_its_own_assembly_and_depends_on_the_core_and_onnx_runtime_by_version()
    {
        package.AssertPacked();
        var core = Nupkg.Read(package.PathOf("Sluice"));
        Assert.Contains("lib/net10.0/Sluice.dll", core.Files);
        Assert.Contains("lib/net10.0/Sluice.Attributes.dll", core.Files);
        Assert.Contains("analyzers/dotnet/cs/Sluice.Generators.dll", core.Files);
        Assert.DoesNotContain(core.Files, f => f.Contains("Media", StringComparison.Ordinal) || f.Contains("Onnx", StringComparison.Ordinal));

        var media = Nupkg.Read(package.PathOf("Sluice.Media"));
        Assert.Contains("lib/net10.0/Sluice.Media.dll", media.Files);
        Assert.DoesNotContain("lib/net10.0/Sluice.dll", media.Files);
        Assert.DoesNotContain("lib/net10.0/Sluice.Attributes.dll", media.Files);
        Assert.Equal([("Sluice", package.Version)], media.Dependencies);

        var onnx = Nupkg.Read(package.PathOf("Sluice.Onnx"));
        Assert.Contains("lib/net10.0/Sluice.Onnx.dll", onnx.Files);
        Assert.DoesNotContain(onnx.Files, f => f.StartsWith("runtimes/", StringComparison.Ordinal)); // natives come from ONNX Runtime's package
        Assert.Contains(("Sluice", package.Version), onnx.Dependencies);
        Assert.Contains(("Microsoft.ML.OnnxRuntime", "1.32.0"), onnx.Dependencies);
        Assert.DoesNotContain(onnx.Dependencies, d => d.Id == "Sluice.Media");
        foreach (var p in new[] { core, media, onnx }) Assert.Contains("PACKAGE.md", p.Files);

        var gpu = Nupkg.Read(package.PathOf("Sluice.Onnx.Gpu"));
        Assert.Contains("lib/net10.0/Sluice.Onnx.dll", gpu.Files);
        Assert.Contains(("Microsoft.ML.OnnxRuntime.Gpu.Linux", "1.32.0"), gpu.Dependencies);
        Assert.DoesNotContain(gpu.Dependencies, d => d.Id == "Microsoft.ML.OnnxRuntime");
    }

    [Fact]
    public void The_document_packages_carry_their_dependencies_and_the_MuPDF_shim_source()
    {
        package.AssertPacked();
        var documents = Nupkg.Read(package.PathOf("Sluice.Documents"));
        Assert.Contains("lib/net10.0/Sluice.Documents.dll", documents.Files);
        Assert.Contains("native/sluice_mupdf.c", documents.Files);
        Assert.Contains("PACKAGE.md", documents.Files);
        Assert.Contains(("Sluice", package.Version), documents.Dependencies);
        Assert.Contains(("PdfPig", "0.1.16"), documents.Dependencies);
        var text = Nupkg.Read(package.PathOf("Sluice.Text"));
        Assert.Contains("lib/net10.0/Sluice.Text.dll", text.Files);
        Assert.Contains("PACKAGE.md", text.Files);
        Assert.Contains(("Sluice.Onnx", package.Version), text.Dependencies);
        Assert.Contains(("FastBertTokenizer", "1.2.6"), text.Dependencies);
    }

    [Fact]
    public async Task The_format_packages_give_the_host_parquet_arrow_and_duckdb_with_only_package_references()
    {
        package.AssertPacked();
        foreach (var id in new[] { "Sluice.Arrow", "Sluice.Parquet", "Sluice.DuckDb", "Sluice.Warc", "Sluice.S3" })
        {
            var nupkg = Nupkg.Read(package.PathOf(id));
            Assert.Contains($"lib/net10.0/{id}.dll", nupkg.Files);
            Assert.Contains("PACKAGE.md", nupkg.Files);
            Assert.Contains(("Sluice", package.Version), nupkg.Dependencies);
        }
        Assert.Contains(("Apache.Arrow", "23.0.0"), Nupkg.Read(package.PathOf("Sluice.Arrow")).Dependencies);
        Assert.Contains(("Sluice.Arrow", package.Version), Nupkg.Read(package.PathOf("Sluice.Parquet")).Dependencies);
        Assert.Contains(("ParquetSharp", "25.0.1.2"), Nupkg.Read(package.PathOf("Sluice.Parquet")).Dependencies);
        Assert.Contains(("DuckDB.NET.Data.Full", "1.5.6.1"), Nupkg.Read(package.PathOf("Sluice.DuckDb")).Dependencies);
        Assert.Contains(("AWSSDK.S3", "4.1.0.1"), Nupkg.Read(package.PathOf("Sluice.S3")).Dependencies);

        string dir = Path.Combine(package.Root, "formats");
        string project = Consumer.Write(dir, package, Consumer.Formats, ["Sluice", "Sluice.Parquet", "Sluice.DuckDb"], "<RuntimeIdentifier>linux-x64</RuntimeIdentifier>");
        var build = await DotNet.RunAsync(dir, BuildTimeout, package.ConsumerEnvironment,
            "build", project, "-c", "Release", "-o", Path.Combine(dir, "out"), "--disable-build-servers", "-nologo");
        Assert.True(build.ExitCode == 0, build.ToString());
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        var run = await DotNet.RunAsync(dir, RunTimeout, package.ConsumerEnvironment, Path.Combine(dir, "out", "Consumer.dll"), data);
        log.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("exits 0 0 0; duckdb rows 2", run.Output);   // COLUMNAR and SLUICE are longer than 5
        var back = File.ReadAllLines(Path.Combine(data, "back.jsonl")).Select(Row).OrderBy(r => r.Id).ToList();
        Assert.Equal([(1, "HELLO", 5), (2, "COLUMNAR", 8), (3, "SLUICE", 6)], back);
    }

    [Fact]
    public Task An_image_classifier_outside_the_repository_runs_on_the_media_and_onnx_packages() =>
        RunClassifier("Sluice.Onnx", "classifier", gpuBuild: false);

    [Fact]
    public Task The_gpu_build_of_sluice_onnx_runs_the_classifier_on_cuda_or_says_in_one_line_why_not() =>
        RunClassifier("Sluice.Onnx.Gpu", "classifier-gpu", gpuBuild: true);

    private async Task RunClassifier(string onnxPackage, string name, bool gpuBuild)
    {
        package.AssertPacked();
        string model = Path.Combine(package.RepoRoot, "models", "resnet18.onnx");
        Assert.True(File.Exists(model), "models/resnet18.onnx is missing: run scripts/setup-models.sh (scripts/test.sh does).");

        string dir = Path.Combine(package.Root, name);
        // The RuntimeIdentifier docs/onnx.md recommends: only linux-x64's natives in the output.
        string project = Consumer.Write(dir, package, Consumer.Classifier, ["Sluice", "Sluice.Media", onnxPackage],
            "<RuntimeIdentifier>linux-x64</RuntimeIdentifier>");
        var build = await DotNet.RunAsync(dir, BuildTimeout, package.ConsumerEnvironment,
            "build", project, "-c", "Release", "-o", Path.Combine(dir, "out"), "--disable-build-servers", "-nologo");
        log.WriteLine($"build: {build.Elapsed.TotalSeconds:0.0} s");
        Assert.True(build.ExitCode == 0, build.ToString());
        string assets = File.ReadAllText(Path.Combine(dir, "obj", "project.assets.json"));
        Assert.DoesNotContain("\"type\": \"project\"", assets);
        Assert.Contains(gpuBuild ? "Microsoft.ML.OnnxRuntime.Gpu.Linux/1.32.0" : "Microsoft.ML.OnnxRuntime/1.32.0", assets);
        Assert.True(File.Exists(Path.Combine(dir, "out", "libonnxruntime.so")), "ONNX Runtime's native library is not beside the program.");
        Assert.Equal(gpuBuild, File.Exists(Path.Combine(dir, "out", "libonnxruntime_providers_cuda.so")));
        Assert.False(Directory.Exists(Path.Combine(dir, "out", "runtimes")), "other platforms' natives were copied");

        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        var run = await DotNet.RunAsync(dir, RunTimeout, package.ConsumerEnvironment, Path.Combine(dir, "out", "Consumer.dll"), data, model);
        log.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("host: exit 0", run.Output);

        // Nine images classified (probabilities in (0, 1]), the corrupt file dead-lettered with its reason.
        var predictions = File.ReadAllLines(Path.Combine(data, "out.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(9, predictions.Count);
        Assert.All(predictions, p =>
        {
            Assert.InRange(Get(p, "top1").GetInt32(), 0, 999);
            Assert.InRange(Get(p, "score").GetSingle(), 1e-6f, 1f);
        });
        var dead = File.ReadAllLines(Path.Combine(data, "dead.jsonl")).Where(l => l.Length > 0).ToList();
        Assert.Single(dead);
        Assert.Contains("broken.png", dead[0]);
        Assert.Contains("ImageDecodeException", dead[0]);

        // Device.Gpu: on CUDA, no notice; otherwise one notice line, and none of ONNX Runtime's log text. The
        // CPU build says it has no CUDA provider; the GPU build (no CUDA 13 / cuDNN 9 here) says why it did not load.
        var notices = run.Output.Split('\n').Where(l => l.Contains("Device.Gpu was asked", StringComparison.Ordinal)).ToList();
        if (!gpuBuild || notices.Count > 0)
        {
            Assert.Single(notices);
            Assert.StartsWith("notice: ", notices[0].Trim());
            Assert.Contains(gpuBuild ? "the CUDAExecutionProvider could not be used (" : "(1.32.0, CPU build) has no CUDAExecutionProvider", notices[0]);
        }
        Assert.DoesNotContain("[E:onnxruntime", run.Output);
        Assert.DoesNotContain("[W:onnxruntime", run.Output);
        // The nine tensors lay in one batch buffer: every batch went to the model without a copy.
        Assert.Contains("rows copied: 0", run.Output);
    }

    private static JsonElement Get(JsonElement row, string name) =>
        row.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

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
