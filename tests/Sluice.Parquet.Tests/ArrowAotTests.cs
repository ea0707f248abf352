using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice;
using Xunit;
using Xunit.Abstractions;

namespace Sluice.Parquet.Tests;

/// <summary>
/// samples/ArrowAot published as a NativeAOT binary (once, by <see cref="NativeArrowAot"/>), run on Arrow IPC files and
/// streams that the JIT-compiled Sluice.Arrow writes here; every value it writes is checked against what the input says
/// it must be, read back by Sluice.Arrow, by npm's apache-arrow (the JavaScript implementation) and from JSON Lines.
/// </summary>
public sealed class ArrowAotTests(NativeArrowAot native, ITestOutputHelper output) : IClassFixture<NativeArrowAot>, IDisposable
{
    private const int Rows = 3_000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-arrow-aot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_sample_publishes_as_a_native_binary_with_no_trimming_or_AOT_warnings()
    {
        native.RequirePublished();
        output.WriteLine($"publish {native.Publish.Elapsed.TotalSeconds:0.0} s, binary {native.BinaryBytes:N0} bytes ({native.BinaryBytes / 1048576.0:0.0} MiB)");
        var warnings = Regex.Matches(native.Publish.Output, @"\bwarning [A-Z]+[0-9]+\b.*$", RegexOptions.Multiline).Select(m => m.Value).Distinct().ToList();
        Assert.True(warnings.Count == 0, $"the publish warned:\n{string.Join('\n', warnings)}");
        Assert.Contains("0 Warning(s)", native.Publish.Output);
        // An ELF executable: machine code, not a managed assembly behind an apphost.
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(native.Binary)[..4]);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(native.Binary)!, "ArrowAot.dll")), "the publish holds a managed ArrowAot.dll");
    }

    [Fact]
    public async Task The_native_binary_reads_an_Arrow_file_and_writes_an_Arrow_stream_with_every_value()
    {
        native.RequirePublished();
        var cases = SensorCase.Make(Rows);
        string input = Path.Combine(_dir, "readings.arrow"), result = Path.Combine(_dir, "summaries.arrows");
        string dead = Path.Combine(_dir, "dead.jsonl"), report = Path.Combine(_dir, "report.json");
        await WriteInputAsync(cases, input);

        var run = await RunNativeAsync("--input", input, "--output", result, "--dead-letter", dead, "--report", report);
        Assert.True(run.ExitCode == 0, run.ToString());

        // Read back with the JIT-compiled Sluice.Arrow.
        var back = new List<SensorSummaryText>();
        var read = await SensorSummaries.Create().RunAsync(Source.Arrow<SensorSummary>(result), Sink.To(back));
        Assert.Empty(read.FailureSamples);
        AssertEveryValue(cases, back.Select(Observed.Of).ToList(), "Sluice.Arrow's reading of the native stream");

        // And with the JavaScript implementation, schema included.
        var js = await ReadWithJavaScriptAsync(result);
        Assert.Equal(
            ["id:Int64", "sensor:Utf8", "value:Float64", "quality:Int32?", "note:Utf8?", "taken:Timestamp<MICROSECOND>", "quantity:Utf8",
             "samples:List<Float32>?", "mean:Float64", "peak:Float32", "hour:Timestamp<MICROSECOND>", "label:Utf8", "frameLength:Int32",
             "frameSum:Uint32", "frame:Binary"],
            js.GetProperty("fields").EnumerateArray().Select(f => f.GetString()!).ToArray());
        AssertEveryValue(cases, js.GetProperty("rows").EnumerateArray().Select(Observed.OfJavaScript).ToList(), "apache-arrow's reading of the native stream");

        // The reading without a sensor failed alone, named by its place in the file.
        var failed = cases.Single(c => c.Sensor is null);
        var letter = JsonDocument.Parse(Assert.Single(File.ReadAllLines(dead))).RootElement;
        output.WriteLine($"dead letter: {letter}");
        string message = letter.GetProperty("message").GetString()!;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{input}:row {failed.Index + 1:N0}"), letter.ToString());
        Assert.Contains("'sensor'", message);
        Assert.Contains("null", message);

        var summary = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(Rows - 1, summary.GetProperty("rowsRead").GetInt64()); // the failed row is not one read
        Assert.Equal(cases.Count(c => c.Kept), summary.GetProperty("rowsWritten").GetInt64());
        Assert.Equal(1, summary.GetProperty("rowsFailed").GetInt64());
        Assert.Equal(1, summary.GetProperty("deadLettered").GetInt64());
        output.WriteLine($"native run: {Rows:N0} rows read, {back.Count:N0} written, 1 dead-lettered in {run.Elapsed.TotalMilliseconds:0} ms (process)");
    }

    [Fact]
    public async Task The_native_binary_reads_an_Arrow_stream_and_writes_JSON_Lines_with_every_value()
    {
        native.RequirePublished();
        var cases = SensorCase.Make(Rows);
        string input = Path.Combine(_dir, "readings.arrows"), result = Path.Combine(_dir, "summaries.jsonl");
        await WriteInputAsync(cases, input);

        var run = await RunNativeAsync("--input", input, "--output", result);
        Assert.True(run.ExitCode == 0, run.ToString());

        var lines = File.ReadAllLines(result);
        AssertEveryValue(cases, lines.Select(l => Observed.OfJsonLine(JsonDocument.Parse(l).RootElement)).ToList(), "the native JSON Lines");
        output.WriteLine($"native run: {Rows:N0} rows read, {lines.Length:N0} written in {run.Elapsed.TotalMilliseconds:0} ms (process)");
    }

    [Fact]
    public async Task The_native_binary_reads_an_Arrow_file_the_JavaScript_implementation_wrote()
    {
        native.RequirePublished();
        var cases = SensorCase.Make(Rows);
        string input = Path.Combine(_dir, "readings-js.arrow"), result = Path.Combine(_dir, "summaries.jsonl");
        await WriteWithJavaScriptAsync(cases, input);

        var run = await RunNativeAsync("--input", input, "--output", result);
        Assert.True(run.ExitCode == 0, run.ToString());

        var lines = File.ReadAllLines(result);
        AssertEveryValue(cases, lines.Select(l => Observed.OfJsonLine(JsonDocument.Parse(l).RootElement)).ToList(), "the native JSON Lines of apache-arrow's file");
        Assert.Contains(", failed 1.", run.Output); // the summary: the row without a sensor
    }

    [Fact]
    public async Task The_native_binary_refuses_a_file_that_is_no_Arrow_IPC_file_naming_it()
    {
        native.RequirePublished();
        string input = Path.Combine(_dir, "not-arrow.arrow");
        File.WriteAllText(input, "{\"id\": 1, \"sensor\": \"this is JSON, not Arrow\"}\n");

        var run = await RunNativeAsync("--input", input, "--output", Path.Combine(_dir, "out.arrow"));

        Assert.True(run.ExitCode == 3, run.ToString()); // every row failed (the file was the only input)
        Assert.Contains($"{input}: cannot read this Arrow IPC file: no Arrow IPC file signature", run.Output);
        Assert.False(File.Exists(Path.Combine(_dir, "out.arrow")));
    }

    /// <summary>The input, written by the JIT-compiled Sluice.Arrow in batches of 500 rows.</summary>
    private static async Task WriteInputAsync(IReadOnlyList<SensorCase> cases, string path)
    {
        var written = await SensorRows.Create().RunAsync(Source.From(cases.Select(c => c.ToRow())), Sink.Arrow<SensorRow>(path, batchRows: 500));
        Assert.Equal(cases.Count, written.RowsWritten);
    }

    private Task<ChildResult> RunNativeAsync(params string[] args) =>
        ChildProcess.RunAsync(native.Binary, [.. args, "--workers", "2", "--progress", "none"], _dir, RunTimeout);

    /// <summary>Every row the sample keeps, once, with every column as the input says it must be.</summary>
    private static void AssertEveryValue(IReadOnlyList<SensorCase> cases, IReadOnlyList<Observed> rows, string what)
    {
        var kept = cases.Where(c => c.Kept).ToList();
        Assert.True(kept.Count == rows.Count, $"{what}: {rows.Count} rows, expected {kept.Count}");
        var byId = rows.ToDictionary(r => r.Id);
        var wrong = new List<string>();
        foreach (var e in kept)
        {
            if (!byId.TryGetValue(e.Id, out var r)) { wrong.Add($"id {e.Id}: missing"); continue; }
            void Check<TValue>(string column, TValue expected, TValue actual)
            {
                if (!EqualityComparer<TValue>.Default.Equals(expected, actual)) wrong.Add($"id {e.Id} {column}: expected {Show(expected)}, got {Show(actual)}");
            }
            Check("sensor", e.Sensor, r.Sensor);
            Check("value", e.Value, r.Value);
            Check("quality", e.Quality, r.Quality);
            Check("note", e.Note, r.Note);
            Check("taken", e.Taken, r.Taken);
            Check("taken.Kind", DateTimeKind.Utc, r.Taken.Kind);
            Check("quantity", e.Quantity, r.Quantity);
            Check("samples", string.Join(' ', e.Samples.Select(F)), string.Join(' ', r.Samples.Select(F)));
            Check("mean", e.Mean, r.Mean);
            Check("peak", e.Peak, r.Peak);
            Check("hour", e.Hour, r.Hour);
            Check("label", e.Label, r.Label);
            Check("frameLength", e.Frame.Length, r.FrameLength);
            Check("frameSum", e.FrameSum, r.FrameSum);
            Check("frame", Convert.ToBase64String(e.Frame), r.Frame);
        }
        Assert.True(wrong.Count == 0, $"{what}: {wrong.Count} values differ; the first:\n{string.Join('\n', wrong.Take(12))}");
    }

    private static string F(float f) => f.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A value in full: timestamps to the tick, floating point to the last digit.</summary>
    private static string Show<TValue>(TValue value) => value switch
    {
        null => "null",
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private const string ReadScript = """
        const path = require('path');
        const fs = require('fs');
        const arrow = require(path.join(process.argv[2], 'node_modules', 'apache-arrow'));
        const table = arrow.tableFromIPC(fs.readFileSync(process.argv[3]));
        const plain = v => {
          if (v === null || v === undefined) return null;
          if (typeof v === 'bigint') return v.toString();
          if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
          if (typeof v === 'object' && typeof v.toArray === 'function') return Array.from(v.toArray(), plain);
          return v;
        };
        const rows = [];
        for (const row of table) {
          const o = {};
          for (const f of table.schema.fields) o[f.name] = plain(row[f.name]);
          rows.push(o);
        }
        const fields = table.schema.fields.map(f => `${f.name}:${f.type}${f.nullable ? '?' : ''}`);
        process.stdout.write(JSON.stringify({ fields, rows }));
        """;

    /// <summary>
    /// The native binary's input written by the JavaScript implementation instead: the same rows, from JSON (int64 and
    /// timestamps as text, exact), the columns in another order than the sample's record, timestamps built as raw µs.
    /// </summary>
    private const string WriteScript = """
        const path = require('path');
        const fs = require('fs');
        const A = require(path.join(process.argv[2], 'node_modules', 'apache-arrow'));
        const rows = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
        const column = (type, f) => A.vectorFromArray(rows.map(f), type);
        const table = new A.Table({
          taken: A.makeVector(A.makeData({ type: new A.TimestampMicrosecond(), length: rows.length, nullCount: 0,
                                           data: BigInt64Array.from(rows, r => BigInt(r.takenMicros)) })),
          frame: column(new A.Binary(), r => Buffer.from(r.frame, 'base64')),
          id: A.makeVector(BigInt64Array.from(rows, r => BigInt(r.id))),
          quantity: column(new A.Utf8(), r => r.quantity),
          sensor: column(new A.Utf8(), r => r.sensor),
          value: A.makeVector(Float64Array.from(rows, r => r.value)),
          samples: column(new A.List(new A.Field('item', new A.Float32(), true)), r => r.samples),
          calibrated: column(new A.Bool(), r => r.calibrated),
          quality: column(new A.Int32(), r => r.quality),
          note: column(new A.Utf8(), r => r.note),
        });
        fs.writeFileSync(process.argv[4], A.tableToIPC(table, 'file'));
        """;

    private async Task<JsonElement> ReadWithJavaScriptAsync(string file) =>
        JsonDocument.Parse(await RunJavaScriptAsync(ReadScript, file)).RootElement.Clone();

    private async Task WriteWithJavaScriptAsync(IReadOnlyList<SensorCase> cases, string file)
    {
        string json = Path.Combine(_dir, "rows.json");
        File.WriteAllText(json, JsonSerializer.Serialize(cases.Select(c => new
        {
            id = c.Id.ToString(CultureInfo.InvariantCulture),
            takenMicros = ((c.Taken - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture),
            sensor = c.Sensor,
            value = c.Value,
            samples = c.Samples.Select(f => (double)f), // widened exactly; Float32 narrows it back
            calibrated = c.Calibrated,
            quality = c.Quality,
            note = c.Note,
            quantity = c.QuantityText,
            frame = Convert.ToBase64String(c.Frame),
        })));
        await RunJavaScriptAsync(WriteScript, json, file);
    }

    /// <summary>Runs <paramref name="script"/> with node (tools/node's apache-arrow, then <paramref name="args"/>); returns its stdout.</summary>
    private async Task<string> RunJavaScriptAsync(string script, params string[] args)
    {
        string tools = Path.Combine(NativeArrowAot.FindRepoRoot(), "tools", "node");
        if (!File.Exists(Path.Combine(tools, "node_modules", "apache-arrow", "package.json")))
            Assert.Fail($"npm apache-arrow is missing in {tools}; run scripts/setup-columnar.sh.");
        string file = Path.Combine(_dir, $"script-{Guid.NewGuid():N}.js");
        File.WriteAllText(file, script);
        var run = await ChildProcess.RunAsync("node", [file, tools, .. args], _dir, RunTimeout, separateStdout: true);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Stdout;
    }

    /// <summary>One output row as a reader gave it, in one shape for every reader.</summary>
    private sealed record Observed(long Id, string Sensor, double Value, int? Quality, string? Note, DateTime Taken, string Quantity,
                                   float[] Samples, double Mean, float Peak, DateTime Hour, string Label, int FrameLength, uint FrameSum, string Frame)
    {
        public static Observed Of(SensorSummaryText r) =>
            new(r.Id, r.Sensor, r.Value, r.Quality, r.Note, r.Taken, r.Quantity, r.Samples, r.Mean, r.Peak, r.Hour, r.Label, r.FrameLength, r.FrameSum, r.FrameBase64);

        /// <summary>apache-arrow gives int64 as bigint (here its text), float32 as the double it widens to, timestamps as milliseconds.</summary>
        public static Observed OfJavaScript(JsonElement r) =>
            new(long.Parse(r.GetProperty("id").GetString()!, CultureInfo.InvariantCulture), r.GetProperty("sensor").GetString()!,
                r.GetProperty("value").GetDouble(), NullableInt(r.GetProperty("quality")), r.GetProperty("note").GetString(),
                FromMilliseconds(r.GetProperty("taken").GetDouble()), r.GetProperty("quantity").GetString()!,
                r.GetProperty("samples").EnumerateArray().Select(x => (float)x.GetDouble()).ToArray(), r.GetProperty("mean").GetDouble(),
                (float)r.GetProperty("peak").GetDouble(), FromMilliseconds(r.GetProperty("hour").GetDouble()), r.GetProperty("label").GetString()!,
                r.GetProperty("frameLength").GetInt32(), r.GetProperty("frameSum").GetUInt32(), r.GetProperty("frame").GetString()!);

        /// <summary>JSON Lines: camelCase names, timestamps in ISO 8601, the frame in base64.</summary>
        public static Observed OfJsonLine(JsonElement r) =>
            new(r.GetProperty("id").GetInt64(), r.GetProperty("sensor").GetString()!, r.GetProperty("value").GetDouble(),
                NullableInt(r.GetProperty("quality")), r.GetProperty("note").GetString(), r.GetProperty("taken").GetDateTime(),
                r.GetProperty("quantity").GetString()!, r.GetProperty("samples").EnumerateArray().Select(x => x.GetSingle()).ToArray(),
                r.GetProperty("mean").GetDouble(), r.GetProperty("peak").GetSingle(), r.GetProperty("hour").GetDateTime(),
                r.GetProperty("label").GetString()!, r.GetProperty("frameLength").GetInt32(), r.GetProperty("frameSum").GetUInt32(),
                r.GetProperty("frame").GetString()!);

        private static int? NullableInt(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();

        /// <summary>
        /// A timestamp[µs] from apache-arrow's milliseconds: a double, about 0.25 µs apart around 2025, so rounded to the
        /// nearest whole microsecond it is the value the file holds.
        /// </summary>
        private static DateTime FromMilliseconds(double ms) =>
            DateTime.UnixEpoch.AddTicks((long)Math.Round(ms * 1000) * TimeSpan.TicksPerMicrosecond);
    }
}

/// <summary>One input row as the test makes it, and what samples/ArrowAot must make of it, worked out here on its own.</summary>
internal sealed record SensorCase(int Index, long Id, string? Sensor, double Value, float[] Samples, bool Calibrated, int? Quality,
                                  string? Note, DateTime Taken, string QuantityText, byte[] Frame)
{
    private static readonly string[] Quantities = ["Temperature", "Pressure", "Light"];

    /// <summary>Calibrated rows are kept; the one without a sensor fails on reading.</summary>
    public bool Kept => Calibrated && Sensor is not null;

    /// <summary>The enum's own name, whatever the case the input spelled it in.</summary>
    public string Quantity => Quantities.Single(q => string.Equals(q, QuantityText, StringComparison.OrdinalIgnoreCase));

    public double Mean
    {
        get
        {
            double sum = 0;
            for (int k = 0; k < Samples.Length; k++) sum += Samples[k];
            return Samples.Length == 0 ? 0 : sum / Samples.Length;
        }
    }

    /// <summary>The first sample of the largest magnitude.</summary>
    public float Peak => Samples.Length == 0 ? 0 : Samples.MaxBy(MathF.Abs);

    public DateTime Hour => new(Taken.Year, Taken.Month, Taken.Day, Taken.Hour, 0, 0, DateTimeKind.Utc);

    public string Label => $"{Sensor}/{Quantity}/{(Quality is null ? "unrated" : Quality.Value.ToString(CultureInfo.InvariantCulture))}";

    /// <summary>Fletcher-32 of the frame's little-endian 16-bit words (an odd byte padded), from the sums reduced once at the end.</summary>
    public uint FrameSum
    {
        get
        {
            int words = (Frame.Length + 1) / 2;
            if (words == 0) return 0xFFFF_FFFF; // neither running sum was ever reduced
            ulong a = 0xFFFF, b = 0xFFFF;
            for (int w = 0; w < words; w++)
            {
                a += Frame[2 * w] + (2 * w + 1 < Frame.Length ? (ulong)Frame[2 * w + 1] * 256 : 0);
                b += a;
            }
            return (uint)(b % 65535) << 16 | (uint)(a % 65535);
        }
    }

    public SensorRow ToRow() => new(Id, Sensor, Value, Samples, Calibrated, Quality, Note, Taken, QuantityText, Blob.CopyOf(Frame));

    public static List<SensorCase> Make(int n)
    {
        var rng = new Random(20250301);
        var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var cases = new List<SensorCase>(n);
        for (int i = 0; i < n; i++)
        {
            var samples = new float[i % 6];
            for (int k = 0; k < samples.Length; k++) samples[k] = (float)(rng.NextDouble() * 20 - 10);
            var frame = new byte[i % 40];
            rng.NextBytes(frame);
            string quantity = Quantities[i % 3];
            cases.Add(new SensorCase(
                Index: i,
                Id: 5_000_000_000L + i * 3L,
                Sensor: i == 1001 ? null : i % 11 == 0 ? $"capteur-é{i % 5}" : $"s-{i % 17}",
                Value: i switch { 7 => 5e-324, 8 => -1.7976931348623157e308, _ => rng.NextDouble() * 2000 - 1000 },
                Samples: samples,
                Calibrated: i % 4 != 3,
                Quality: i % 5 == 0 ? null : i % 100,
                Note: i % 3 == 0 ? null : i % 50 == 1 ? $"quote \" and\nnewline ✓ {i}" : $"note {i}",
                // Whole microseconds: Arrow's timestamp[µs] holds no finer.
                Taken: start.AddSeconds(i * 437).AddTicks(i * 7_919L % 1_000_000 * 10),
                QuantityText: i % 7 == 0 ? quantity.ToLowerInvariant() : quantity,
                Frame: frame));
        }
        return cases;
    }
}

/// <summary>
/// Publishes samples/ArrowAot once for the tests of <see cref="ArrowAotTests"/>: <c>dotnet publish -c Release -r &lt;this
/// machine's RID&gt;</c> (the project sets <c>PublishAot</c>), with its build output in a temporary folder
/// (<c>--artifacts-path</c>: the repository's bin and obj are not touched), deleted at the end.
/// </summary>
public sealed class NativeArrowAot : IAsyncLifetime
{
    // Under the 5 minutes after which scripts/test.sh's --blame-hang-timeout ends the whole test process.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(4);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-aot-" + Guid.NewGuid().ToString("N")[..12]);
    private string? _problem;

    /// <summary>The `dotnet publish` run.</summary>
    public ChildResult Publish { get; private set; } = null!;

    /// <summary>The native executable.</summary>
    public string Binary => Path.Combine(_root, "app", "ArrowAot");

    /// <summary>Its size in bytes.</summary>
    public long BinaryBytes => new FileInfo(Binary).Length;

    public async Task InitializeAsync()
    {
        if (!OnPath("clang"))
        {
            _problem = "clang is not on PATH; NativeAOT links with it: run scripts/setup-aot.sh (it installs clang and zlib1g-dev).";
            return;
        }
        string repo = FindRepoRoot();
        Directory.CreateDirectory(_root);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        Publish = await ChildProcess.RunAsync(dotnet,
            ["publish", Path.Combine(repo, "samples", "ArrowAot", "ArrowAot.csproj"), "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier,
             "-o", Path.Combine(_root, "app"), "--artifacts-path", Path.Combine(_root, "build"), "--disable-build-servers", "-nologo",
             "-p:TrimmerSingleWarn=false", "-clp:Summary"],
            repo, PublishTimeout, cleanMsBuildEnvironment: true);
        if (Publish.ExitCode != 0 || !File.Exists(Binary)) _problem = $"the publish failed: {Publish}";
    }

    /// <summary>Fails the calling test, saying why, unless the native binary was made.</summary>
    public void RequirePublished()
    {
        if (_problem is not null) Assert.Fail(_problem);
    }

    public Task DisposeAsync()
    {
        try { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); }
        catch (IOException) { } // a build node still closing a file: the temporary folder is left to the system
        return Task.CompletedTask;
    }

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipelines.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (Pipelines.sln) above the test's folder");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}

/// <summary>What a finished child process did: its exit code, its output (both streams, or stderr when stdout was kept apart).</summary>
public sealed record ChildResult(string Command, int ExitCode, string Output, string Stdout, TimeSpan Elapsed, bool TimedOut)
{
    public override string ToString() =>
        $"`{Command}` {(TimedOut ? "was killed, out of time," : $"exited {ExitCode}")} after {Elapsed.TotalSeconds:0.0} s; output:\n{Output}";
}

internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="program"/> to its end (killed after <paramref name="timeout"/>, exit code -1). With
    /// <paramref name="separateStdout"/>, stdout is kept apart from stderr; with <paramref name="cleanMsBuildEnvironment"/>,
    /// the MSBuild state the `dotnet test` running us left in the environment is removed and no build node outlives the child.
    /// </summary>
    public static async Task<ChildResult> RunAsync(string program, IReadOnlyList<string> args, string workingDirectory, TimeSpan timeout,
                                                   bool separateStdout = false, bool cleanMsBuildEnvironment = false)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (cleanMsBuildEnvironment)
        {
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
                start.Environment.Remove(key);
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["UseSharedCompilation"] = "false";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
        }
        var all = new StringBuilder();
        var stdout = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (all) { if (separateStdout) stdout.AppendLine(e.Data); else all.AppendLine(e.Data); }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (all) all.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int exit;
        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
                exit = process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                exit = -1;
                timedOut = true;
            }
        }
        clock.Stop();
        lock (all)
            return new ChildResult($"{Path.GetFileName(program)} {string.Join(' ', args)}", exit, all.ToString(), stdout.ToString(), clock.Elapsed, timedOut);
    }
}
