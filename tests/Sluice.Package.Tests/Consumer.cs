namespace Sluice.Package.Tests;

/// <summary>A user's console project that references Sluice's packages and nothing else.</summary>
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
            <!-- {PROPERTIES} -->
          </PropertyGroup>
          <ItemGroup>
            <!-- {REFERENCES} -->
          </ItemGroup>
        </Project>
        """;

    /// <summary>
    /// An image classifier over the packages Sluice.Media and Sluice.Onnx: read files, decode (a corrupt
    /// one is dead-lettered), resize and crop into a tensor, ResNet-18 in batches of 4 through
    /// <c>RunBatch</c>, top-1 with softmax by <c>Postprocess.TopK</c>. Asked for the GPU, it says in one line
    /// that it runs on the CPU. Prints how many rows the model had to copy into its batch input.
    /// </summary>
    public const string Classifier = """"
        using Sluice;
        using Sluice.Media;
        using Sluice.Onnx;

        string dir = args[0];
        var lines = new List<string>();
        for (int i = 0; i < 9; i++)
        {
            using var image = Image.Create(300 + 10 * i, 260);
            var px = image.Span;
            for (int k = 0; k < px.Length; k++) px[k] = (byte)(k * (i + 1) % 251);
            using var png = image.EncodePng();
            string path = Path.Combine(dir, $"img{i}.png");
            File.WriteAllBytes(path, png.Span.ToArray());
            lines.Add($$"""{"path":"{{path}}"}""");
        }
        File.WriteAllText(Path.Combine(dir, "broken.png"), "not a png");
        lines.Add($$"""{"path":"{{Path.Combine(dir, "broken.png")}}"}""");
        File.WriteAllLines(Path.Combine(dir, "in.jsonl"), lines);
        int code = await Classifier.RunAsync(new[] { "--input", Path.Combine(dir, "in.jsonl"), "--output", Path.Combine(dir, "out.jsonl"),
            "--dead-letter", Path.Combine(dir, "dead.jsonl"), "--report", Path.Combine(dir, "report.json"), "--progress", "none",
            "--set", "model=" + args[1] });
        Console.WriteLine($"host: exit {code}");
        Console.WriteLine($"rows copied: {Classifier.RowsCopied}");
        return code;

        public sealed record Item(string Path);
        public sealed record Prediction(string Path, int Top1, float Score);

        [Pipeline(typeof(Item), typeof(Prediction))]
        public static partial class Classifier
        {
            public static long RowsCopied;

            [Resource] static OnnxSession Model(PipelineContext ctx)
            {
                var session = OnnxSession.Load(ctx.Options.Get("model", "resnet18.onnx"), new() { Device = ctx.Device, IntraOpThreads = 2, BatchSize = 4 });
                if (session.Notice is not null) Console.Error.WriteLine("notice: " + session.Notice);
                return session;
            }

            [Stage] static byte[] Bytes(string path) => File.ReadAllBytes(path);
            [Stage] static Image Decoded(byte[] bytes) => Image.Decode(bytes, shrinkTo: 256);
            [Stage] static Tensor Pixels(Image decoded) => Tensor.Create(3 * 224 * 224, decoded, static (image, tensor) =>
            {
                using var crop = image.ResizeShorterSideCenterCrop(256, 224, 224);
                crop.ToTensor(tensor, Normalize.ImageNetMean, Normalize.ImageNetStd);
            });

            [Stage(BatchSize = 4, Device = Device.Gpu)]
            static void Classify(ReadOnlySpan<Tensor> pixels, Span<int> top1, Span<float> score, OnnxSession model)
            {
                var logits = new float[pixels.Length * 1000];
                model.RunBatch(pixels, [3, 224, 224], logits, [1000]);
                for (int i = 0; i < pixels.Length; i++)
                {
                    var (classes, scores) = Postprocess.TopK(logits.AsSpan(i * 1000, 1000), 1);
                    (top1[i], score[i]) = (classes[0], scores[0]);
                }
                Interlocked.Exchange(ref RowsCopied, model.RowsCopied);
            }
        }

        """";

    /// <summary>
    /// A program on the format packages alone: the host takes a JSON Lines file to Parquet, Parquet to an Arrow IPC file and
    /// that back to JSON Lines, picking each format from the path (the packaged generator registers the formats the
    /// project references), then runs a DuckDB query into a DuckDB table.
    /// </summary>
    public const string Formats = """
        using Sluice;

        string data = args[0];
        File.WriteAllText(Path.Combine(data, "in.jsonl"), "{\"id\":1,\"text\":\" hello \"}\n{\"id\":2,\"text\":\"columnar\"}\n{\"id\":3,\"text\":\"sluice\"}\n");
        int a = await Shouter.RunAsync(["--input", Path.Combine(data, "in.jsonl"), "--output", Path.Combine(data, "out.parquet"), "--quiet"]);
        int b = await Echo.RunAsync(["--input", Path.Combine(data, "out.parquet"), "--output", Path.Combine(data, "out.arrow"), "--quiet"]);
        int c = await Echo.RunAsync(["--input", Path.Combine(data, "out.arrow"), "--output", Path.Combine(data, "back.jsonl"), "--quiet"]);
        var db = Path.Combine(data, "shouts.duckdb");
        var result = await Echo.Create().RunAsync(Source.Query<Shout>($"SELECT * FROM '{Path.Combine(data, "out.parquet")}' WHERE length > 5"), Sink.DuckDb<Shout>(db, "shouts"));
        Console.WriteLine($"exits {a} {b} {c}; duckdb rows {result.RowsWritten}");

        public sealed record Line(int Id, string Text);
        public sealed record Shout(int Id, string Upper, int Length);

        [Pipeline(typeof(Line), typeof(Shout))]
        public static partial class Shouter
        {
            [Stage] static string Upper(string text) => text.Trim().ToUpperInvariant();
            [Stage] static int Length(string upper) => upper.Length;
        }

        [Pipeline(typeof(Shout), typeof(Shout))]
        public static partial class Echo { }
        """;

    /// <summary>Writes the core-only consumer (<see cref="Pipeline"/> or <see cref="WrongColumn"/>) into <paramref name="dir"/> and returns its project file.</summary>
    public static string Write(string dir, PackedSluice package, string pipeline) =>
        Write(dir, package, Main + pipeline + "\n", ["Sluice"], "");

    /// <summary>
    /// Writes a consumer of <paramref name="packages"/> with <paramref name="program"/> as its Program.cs into
    /// <paramref name="dir"/> (created) and returns its project file; <paramref name="properties"/> go into its
    /// property group.
    /// </summary>
    public static string Write(string dir, PackedSluice package, string program, string[] packages, string properties)
    {
        Directory.CreateDirectory(dir);
        // Stop MSBuild's upward search: nothing above the temporary folder may shape this project.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), package.NuGetConfig());
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        string project = Path.Combine(dir, "Consumer.csproj");
        string references = string.Join("\n    ", packages.Select(id => $"<PackageReference Include=\"{id}\" Version=\"{package.Version}\" />"));
        File.WriteAllText(project, Project.Replace("{PACKAGES}", package.Packages).Replace("<!-- {REFERENCES} -->", references)
                                          .Replace("<!-- {PROPERTIES} -->", properties));
        return project;
    }
}
