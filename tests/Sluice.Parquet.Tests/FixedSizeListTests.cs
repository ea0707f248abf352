using System.Collections;
using Sluice;
using Sluice.Testing;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>[FixedSize(n)] arrays: written as fixed_size_list&lt;T, n&gt;, read back, checked by DuckDB and npm apache-arrow; other lengths are bad rows.</summary>
public sealed class FixedSizeListTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-fixed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<Vec> Make(int n) => Enumerable.Range(0, n)
        .Select(i => new Vec(i, [i, i + 0.5f, -i, i * 0.25f], i % 4 == 0 ? null : [i, i + 1, i + 2])).ToList();

    private static float[]? Floats(object? v) => v is null ? null : ((IEnumerable)v).Cast<object>().Select(Convert.ToSingle).ToArray();
    private static int[]? Ints(object? v) => v is null ? null : ((IEnumerable)v).Cast<object>().Select(Convert.ToInt32).ToArray();

    [Fact]
    public async Task Parquet_stores_the_fixed_size_list_type_and_DuckDB_and_Sluice_read_every_value()
    {
        var rows = Make(3_000);
        string file = Path.Combine(_dir, "vec.parquet");
        var result = await Vecs.Create().RunAsync(Source.From(rows), Sink.Parquet<VecOut>(file));
        Assert.Equal(3_000, result.RowsWritten);

        // Parquet has no fixed-size list: the file holds a LIST of the values (docs/columnar.md says why no Arrow schema is kept).
        Assert.Equal("FLOAT[]", DuckDbOracle.Query($"SELECT typeof(embedding) FROM read_parquet('{file}') LIMIT 1")[0][0]);
        var duck = DuckDbOracle.Query($"SELECT id, embedding, tokens, sum FROM read_parquet('{file}') ORDER BY id");
        Assert.Equal(rows.Count, duck.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Embedding, Floats(duck[i][1]));
            Assert.Equal(rows[i].Tokens, Ints(duck[i][2]));
            Assert.Equal(rows[i].Embedding.Sum(), Convert.ToSingle(duck[i][3]));
        }

        var back = new List<VecOut>();
        await Vecs.Create().RunAsync(Source.Parquet<Vec>(file), Sink.To(back));
        Assert.Equal(rows.Select(r => r.Embedding), back.OrderBy(b => b.Id).Select(b => b.Embedding));
        Assert.Equal(rows.Select(r => r.Tokens), back.OrderBy(b => b.Id).Select(b => b.Tokens));
    }

    [Fact]
    public async Task Arrow_ipc_writes_fixed_size_lists_that_javascripts_arrow_reads()
    {
        var rows = Make(500);
        string file = Path.Combine(_dir, "vec.arrow");
        await Vecs.Create().RunAsync(Source.From(rows), Sink.Arrow<VecOut>(file, batchRows: 128));
        var js = ArrowIpcTests.ReadWithJavaScript(file, _dir);
        var fields = js.GetProperty("fields").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("embedding:FixedSizeList[4]<Float32>", fields);
        Assert.Contains("tokens:FixedSizeList[3]<Int32>", fields);
        var byId = js.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        foreach (var r in rows)
        {
            var o = byId[r.Id.ToString()];
            Assert.Equal(r.Embedding, o.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()));
            if (r.Tokens is null) Assert.Equal(System.Text.Json.JsonValueKind.Null, o.GetProperty("tokens").ValueKind);
            else Assert.Equal(r.Tokens, o.GetProperty("tokens").EnumerateArray().Select(x => x.GetInt32()));
        }
        var back = new List<VecOut>();
        await Vecs.Create().RunAsync(Source.Arrow<Vec>(file), Sink.To(back));
        Assert.Equal(rows.Select(r => r.Embedding), back.OrderBy(b => b.Id).Select(b => b.Embedding));
    }

    [Fact]
    public async Task A_row_of_another_length_is_one_bad_row_when_written_and_the_others_are_written()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new LooseVec(i, i == 17 ? [1, 2, 3, 4, 5] : [1, 2, 3, i], i == 40 ? [1, 2] : null)).ToList();
        string file = Path.Combine(_dir, "loose.parquet"), dead = Path.Combine(_dir, "dead.jsonl");
        var result = await LooseToFixed.Create(new PipelineOptions { DeadLetterPath = dead }).RunAsync(Source.From(rows), Sink.Parquet<VecOut>(file));
        Assert.Equal(198, result.RowsWritten);
        Assert.Equal(2, result.Metrics.RowsFailed);
        Assert.Contains(result.FailureSamples, f => f.Stage == "sink" && f.Message.Contains("column 'embedding': has 5 items, but it is a fixed-size list of 4"));
        Assert.Contains(result.FailureSamples, f => f.Stage == "sink" && f.Message.Contains("column 'tokens': has 2 items, but it is a fixed-size list of 3"));
        var lines = File.ReadAllLines(dead);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.Contains("\"id\":17"));
        var ids = DuckDbOracle.Query($"SELECT id FROM read_parquet('{file}') ORDER BY id").Select(r => Convert.ToInt64(r[0])).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i != 17 && i != 40).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Reading_lists_of_another_length_into_a_fixed_size_property_makes_bad_rows()
    {
        // DuckDB writes plain lists of 4 floats, one of 3; and a JSON Lines file with one of 6.
        string file = Path.Combine(_dir, "duck.parquet");
        DuckDbOracle.Execute($"COPY (SELECT i::BIGINT AS id, CASE WHEN i = 7 THEN [1.0, 2.0, 3.0]::FLOAT[] ELSE [i, i, i, i]::FLOAT[] END AS embedding, NULL::INTEGER[] AS tokens FROM range(50) t(i)) TO '{file}' (FORMAT PARQUET)");
        var back = new List<VecOut>();
        var result = await Vecs.Create().RunAsync(Source.Parquet<Vec>(file), Sink.To(back));
        Assert.Equal(49, back.Count);
        Assert.Contains(result.FailureSamples, f => f.Message.Contains("row 8") && f.Message.Contains("has 3 items, but it is a fixed-size list of 4"));

        // DuckDB's own fixed-size ARRAY type reads as well.
        string arrays = Path.Combine(_dir, "arrays.parquet");
        DuckDbOracle.Execute($"COPY (SELECT i::BIGINT AS id, [i, 1, 2, 3]::FLOAT[4] AS embedding, [i, i, i]::INTEGER[3] AS tokens FROM range(20) t(i)) TO '{arrays}' (FORMAT PARQUET)");
        var fromArrays = new List<VecOut>();
        await Vecs.Create().RunAsync(Source.Parquet<Vec>(arrays), Sink.To(fromArrays));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => new[] { i, 1f, 2, 3 }), fromArrays.OrderBy(r => r.Id).Select(r => r.Embedding));

        string jsonl = Path.Combine(_dir, "vec.jsonl");
        File.WriteAllLines(jsonl, ["{\"id\":1,\"embedding\":[1,2,3,4],\"tokens\":null}", "{\"id\":2,\"embedding\":[1,2,3,4,5,6],\"tokens\":null}"]);
        var fromJson = new List<VecOut>();
        var jr = await Vecs.Create().RunAsync(Source.JsonLines<Vec>(jsonl), Sink.To(fromJson));
        Assert.Equal([1L], fromJson.Select(r => r.Id));
        Assert.Contains(jr.FailureSamples, f => f.Message.Contains("has 6 items, but it is a fixed-size list of 4"));
    }
}
