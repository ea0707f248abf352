using System.Diagnostics;
using System.Text.Json;
using Sluice;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>
/// Arrow IPC files and streams written by Sluice (Apache.Arrow, C#) and read by npm's apache-arrow (the JavaScript
/// implementation, installed by scripts/setup-columnar.sh), and read back by Sluice.
/// </summary>
public sealed class ArrowIpcTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-arrow-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Script = """
        const path = require('path');
        const { tableFromIPC } = require(path.join(process.argv[2], 'node_modules', 'apache-arrow'));
        const fs = require('fs');
        const table = tableFromIPC(fs.readFileSync(process.argv[3]));
        const rows = [];
        for (const row of table) {
          const o = {};
          for (const f of table.schema.fields) {
            let v = row[f.name];
            if (v !== null && typeof v === 'object' && typeof v.toArray === 'function') v = Array.from(v.toArray(), x => typeof x === 'bigint' ? Number(x) : x);
            if (typeof v === 'bigint') v = v.toString();
            o[f.name] = v;
          }
          rows.push(o);
        }
        console.log(JSON.stringify({ fields: table.schema.fields.map(f => f.name + ':' + f.type), rows }));
        """;

    private static string ToolsDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipelines.sln"))) return Path.Combine(dir.FullName, "tools", "node");
        throw new DirectoryNotFoundException("the repository root (Pipelines.sln) above the test's folder");
    }

    private JsonElement ReadWithJavaScript(string file) => ReadWithJavaScript(file, _dir);

    /// <summary>The Arrow IPC file's fields (name:type) and rows as npm apache-arrow reads them.</summary>
    internal static JsonElement ReadWithJavaScript(string file, string workDir)
    {
        string tools = ToolsDir();
        if (!File.Exists(Path.Combine(tools, "node_modules", "apache-arrow", "package.json")))
            Assert.Fail($"npm apache-arrow is missing in {tools}; run scripts/setup-columnar.sh.");
        string script = Path.Combine(workDir, "read.js");
        File.WriteAllText(script, Script);
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(tools);
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"node failed: {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    [Theory]
    [InlineData("items.arrow")]
    [InlineData("items.arrows")]
    public async Task JavaScripts_arrow_reads_every_value_Sluice_writes_and_Sluice_reads_it_back(string name)
    {
        var items = ItemData.Make(700);
        string file = Path.Combine(_dir, name);
        var result = await Items.Create().RunAsync(Source.From(items), Sink.Arrow<ItemOut>(file, batchRows: 256));
        Assert.Equal(RunStatus.Completed, result.Status);

        var js = ReadWithJavaScript(file);
        var rows = js.GetProperty("rows").EnumerateArray().ToDictionary(r => long.Parse(r.GetProperty("id").GetString()!));
        Assert.Equal(items.Count, rows.Count);
        foreach (var e in items)
        {
            var r = rows[e.Id];
            Assert.Equal(e.Count, r.GetProperty("count").GetInt32());
            Assert.Equal(e.Title, r.GetProperty("title").GetString());
            Assert.Equal(e.Title.Length, r.GetProperty("titleLength").GetInt32());
            Assert.Equal(e.Note, r.GetProperty("note").ValueKind == JsonValueKind.Null ? null : r.GetProperty("note").GetString());
            Assert.Equal(e.Score, r.GetProperty("score").GetDouble());
            Assert.Equal(e.Weight, r.GetProperty("weight").GetSingle());
            Assert.Equal(e.Flag, r.GetProperty("flag").GetBoolean());
            Assert.Equal(e.Rank, r.GetProperty("rank").ValueKind == JsonValueKind.Null ? null : r.GetProperty("rank").GetInt32());
            // apache-arrow gives timestamps as milliseconds since the epoch.
            Assert.Equal((e.Taken - DateTime.UnixEpoch).TotalMilliseconds, r.GetProperty("taken").GetDouble());
            Assert.Equal(e.Kind.ToString(), r.GetProperty("kind").GetString());
            Assert.Equal(e.Embedding, r.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray());
            Assert.Equal(e.Tokens, r.GetProperty("tokens").ValueKind == JsonValueKind.Null ? null : r.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()).ToArray());
        }

        // And back: the records Sluice reads from its own file are the ones it wrote.
        var back = new List<ItemOut>();
        var again = await Items.Create().RunAsync(Source.Arrow<Item>(file), Sink.To(back));
        Assert.Empty(again.FailureSamples);
        var byId = back.ToDictionary(b => b.Id);
        foreach (var e in items)
        {
            var b = byId[e.Id];
            Assert.Equal((e.Count, e.Title, e.Note, e.Score, e.Weight, e.Flag, e.Rank, e.Taken, e.Kind), (b.Count, b.Title, b.Note, b.Score, b.Weight, b.Flag, b.Rank, b.Taken, b.Kind));
            Assert.Equal(e.Embedding, b.Embedding);
            Assert.Equal(e.Tokens, b.Tokens);
        }
    }

    [Fact]
    public async Task A_stream_given_as_a_file_is_refused_naming_it()
    {
        string stream = Path.Combine(_dir, "items.arrows"), misnamed = Path.Combine(_dir, "items.arrow");
        await Items.Create().RunAsync(Source.From(ItemData.Make(10)), Sink.Arrow<ItemOut>(stream));
        File.Copy(stream, misnamed);
        var rows = new List<ItemOut>();
        // The only input failed and nothing was written: a failed run (issue 9), whose error names the file.
        var e = await Assert.ThrowsAsync<PipelineFailedException>(() => Items.Create().RunAsync(Source.Arrow<Item>(misnamed), Sink.To(rows)));
        Assert.Empty(rows);
        Assert.Contains($"{misnamed}: cannot read this Arrow IPC file: no Arrow IPC file signature", Assert.Single(e.Result.FailureSamples).Message);
    }
}
