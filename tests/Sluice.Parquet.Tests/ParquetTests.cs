using System.Collections;
using DuckDB.NET.Data;
using Sluice;
using Sluice.Testing;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>Parquet files written by Sluice, read back by DuckDB (the independent oracle), and the other way round.</summary>
public sealed class ParquetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-parquet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    internal static List<object?[]> Query(string sql, string database = ":memory:") => DuckDbOracle.Query(sql, database);

    internal static void Execute(string sql, string database = ":memory:") => DuckDbOracle.Execute(sql, database);

    private static T[]? List<T>(object? value) => value is null ? null : ((IEnumerable)value).Cast<object>().Select(v => (T)Convert.ChangeType(v, typeof(T))).ToArray();

    [Theory]
    [InlineData(ParquetCompression.Snappy, "SNAPPY")]
    [InlineData(ParquetCompression.Zstd, "ZSTD")]
    [InlineData(ParquetCompression.None, "UNCOMPRESSED")]
    public async Task DuckDB_reads_every_value_Sluice_writes(ParquetCompression compression, string codec)
    {
        var items = ItemData.Make(3000);
        string file = PathOf("items.parquet");
        var result = await Items.Create().RunAsync(Source.From(items),
            Sink.Parquet<ItemOut>(file, new ParquetWriteOptions { Compression = compression, RowGroupRows = 1000 }));
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(3000, result.RowsWritten);
        Assert.False(File.Exists(PathOf("items.partial.parquet")));

        var rows = Query($"SELECT id, count, title, titleLength, note, score, weight, flag, rank, taken, kind, embedding, tokens FROM read_parquet('{file}') ORDER BY id");
        Assert.Equal(items.Count, rows.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var e = items[i];
            var r = rows[i];
            Assert.Equal(e.Id, (long)r[0]!);
            Assert.Equal(e.Count, (int)r[1]!);
            Assert.Equal(e.Title, (string)r[2]!);
            Assert.Equal(e.Title.Length, (int)r[3]!);
            Assert.Equal(e.Note, (string?)r[4]);
            Assert.Equal(e.Score, (double)r[5]!);
            Assert.Equal(e.Weight, (float)r[6]!);
            Assert.Equal(e.Flag, (bool)r[7]!);
            Assert.Equal(e.Rank, (int?)r[8]);
            Assert.Equal(e.Taken, (DateTime)r[9]!);
            Assert.Equal(e.Kind.ToString(), (string)r[10]!);
            Assert.Equal(e.Embedding, List<float>(r[11]));
            Assert.Equal(e.Tokens, List<int>(r[12]));
        }

        // Three row groups of 1,000, the codec asked for, and statistics for the id column.
        var meta = Query($"SELECT DISTINCT row_group_id, compression FROM parquet_metadata('{file}') ORDER BY row_group_id");
        Assert.Equal(3, meta.Count);
        Assert.All(meta, m => Assert.Equal(codec, (string)m[1]!));
        // Rows reach the sink in no fixed order: each row group's statistics must bound its own ids.
        var stats = Query($"SELECT row_group_id, stats_min, stats_max FROM parquet_metadata('{file}') WHERE path_in_schema = 'id' ORDER BY row_group_id");
        var bounds = Query($"SELECT min(id), max(id) FROM (SELECT id, (row_number() OVER () - 1) // 1000 AS g FROM read_parquet('{file}')) GROUP BY g ORDER BY g");
        Assert.Equal(3, stats.Count);
        for (int g = 0; g < 3; g++)
        {
            Assert.Equal(bounds[g][0]!.ToString(), (string)stats[g][1]!);
            Assert.Equal(bounds[g][1]!.ToString(), (string)stats[g][2]!);
        }
    }

    private const string DuckItems = """
        SELECT i::BIGINT AS id, (i * 7 % 100)::INTEGER AS count, 'title ' || i AS title,
               CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || i END AS note, i / 3.0::DOUBLE AS score, (i / 8)::FLOAT AS weight,
               i % 2 = 0 AS flag, CASE WHEN i % 4 = 0 THEN NULL ELSE i::INTEGER END AS rank,
               TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) MINUTE AS taken, ['Photo', 'Text', 'Audio'][i % 3 + 1] AS kind,
               [i::FLOAT, (i + 0.5)::FLOAT] AS embedding, CASE WHEN i % 5 = 0 THEN NULL ELSE [i::INTEGER, 1] END AS tokens
        FROM range(2500) t(i)
        """;

    [Fact]
    public async Task Sluice_reads_every_value_DuckDB_writes()
    {
        string file = PathOf("duck.parquet");
        Execute($"COPY ({DuckItems}) TO '{file}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)");
        var rows = new List<ItemOut>();
        var result = await Items.Create().RunAsync(Source.Parquet<Item>(file), Sink.To(rows));
        Assert.Empty(result.FailureSamples);
        var expected = Query($"SELECT id, count, title, note, score, weight, flag, rank, taken, kind, embedding, tokens FROM read_parquet('{file}') ORDER BY id");
        var got = rows.OrderBy(r => r.Id).ToList();
        Assert.Equal(expected.Count, got.Count);
        for (int i = 0; i < got.Count; i++)
        {
            var g = got[i];
            var e = expected[i];
            Assert.Equal((long)e[0]!, g.Id);
            Assert.Equal((int)e[1]!, g.Count);
            Assert.Equal((string)e[2]!, g.Title);
            Assert.Equal(g.Title.Length, g.TitleLength);
            Assert.Equal((string?)e[3], g.Note);
            Assert.Equal((double)e[4]!, g.Score);
            Assert.Equal((float)e[5]!, g.Weight);
            Assert.Equal((bool)e[6]!, g.Flag);
            Assert.Equal((int?)e[7], g.Rank);
            Assert.Equal((DateTime)e[8]!, g.Taken);
            Assert.Equal((string)e[9]!, g.Kind.ToString());
            Assert.Equal(List<float>(e[10]), g.Embedding);
            Assert.Equal(List<int>(e[11]), g.Tokens);
        }
    }

    [Fact]
    public async Task A_record_reading_two_columns_reads_them_from_a_wide_file()
    {
        string file = PathOf("wide.parquet");
        Execute($"COPY ({DuckItems}) TO '{file}' (FORMAT PARQUET)");
        var rows = new List<SlimOut>();
        await SlimItems.Create().RunAsync(Source.Parquet<Slim>(file), Sink.To(rows));
        Assert.Equal(2500, rows.Count);
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => ($"title {i}").Length), rows.OrderBy(r => r.Id).Select(r => r.TitleLength));
    }

    [Fact]
    public async Task A_file_that_does_not_fit_or_cannot_be_read_is_one_error_naming_it_and_the_next_file_goes_on()
    {
        Execute($"COPY ({DuckItems}) TO '{PathOf("a-good.parquet")}' (FORMAT PARQUET)");
        Execute($"COPY (SELECT id, count::VARCHAR AS count, title, note, score, weight, flag, rank, taken, kind, embedding, tokens FROM ({DuckItems})) TO '{PathOf("b-count-is-text.parquet")}' (FORMAT PARQUET)");
        Execute($"COPY (SELECT id, count, note FROM ({DuckItems})) TO '{PathOf("c-no-title.parquet")}' (FORMAT PARQUET)");
        File.WriteAllText(PathOf("d-not-parquet.parquet"), "id,title\n1,a\n");
        var good = File.ReadAllBytes(PathOf("a-good.parquet"));
        File.WriteAllBytes(PathOf("e-cut.parquet"), good[..(good.Length / 2)]);

        var rows = new List<ItemOut>();
        var result = await Items.Create().RunAsync(Source.Parquet<Item>(Path.Combine(_dir, "*.parquet")), Sink.To(rows));
        Assert.Equal(2500, rows.Count); // every row of the good file
        var messages = result.FailureSamples.Select(f => f.Message).ToList();
        Assert.Equal(4, messages.Count);
        Assert.Contains(messages, m => m.Contains("b-count-is-text.parquet") && m.Contains("column 'count' is utf8") && m.Contains("cannot be read as Int32"));
        Assert.Contains(messages, m => m.Contains("c-no-title.parquet") && m.Contains("has no column 'title'"));
        Assert.Contains(messages, m => m.Contains("d-not-parquet.parquet") && m.Contains("no Parquet signature"));
        Assert.Contains(messages, m => m.Contains("e-cut.parquet") && m.Contains("cut short"));
    }

    [Fact]
    public async Task A_null_where_the_record_needs_a_value_fails_that_row_only()
    {
        string file = PathOf("nulls.parquet");
        Execute($"COPY (SELECT * REPLACE (CASE WHEN id IN (10, 20) THEN NULL ELSE title END AS title) FROM ({DuckItems})) TO '{file}' (FORMAT PARQUET)");
        var rows = new List<ItemOut>();
        var result = await Items.Create().RunAsync(Source.Parquet<Item>(file), Sink.To(rows));
        Assert.Equal(2498, rows.Count);
        Assert.Equal(2, result.FailureSamples.Count);
        Assert.All(result.FailureSamples, f => Assert.Contains("column 'title': is null", f.Message));
        Assert.Contains(result.FailureSamples, f => f.Message.Contains("nulls.parquet:row 11"));
    }
}

/// <summary>The host picks Parquet and Arrow by the paths, with only a package reference.</summary>
public sealed class HostFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-host-parquet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Parquet_inputs_to_an_output_folder_write_parquet_there_and_arrow_outputs_follow_the_extension()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        for (int f = 0; f < 2; f++)
            ParquetTests.Execute($"COPY (SELECT (i + {f * 1000})::BIGINT AS id, 0::INTEGER AS count, 'title ' || i AS title, NULL::VARCHAR AS note, 1.5::DOUBLE AS score, " +
                                 $"1::FLOAT AS weight, true AS flag, NULL::INTEGER AS rank, TIMESTAMP '2024-01-01' AS taken, 'Text' AS kind, [1::FLOAT] AS embedding, NULL::INTEGER[] AS tokens " +
                                 $"FROM range(1000) t(i)) TO '{Path.Combine(_dir, "in", $"part{f}.parquet")}' (FORMAT PARQUET)");
        string outDir = Path.Combine(_dir, "out") + "/";
        int code = await Items.RunAsync(["--input", Path.Combine(_dir, "in", "*.parquet"), "--output", outDir, "--quiet"]);
        Assert.Equal(0, code);
        string written = Path.Combine(_dir, "out", "part-00000.parquet");
        var counts = ParquetTests.Query($"SELECT count(*), sum(titleLength)::BIGINT FROM read_parquet('{written}')");
        Assert.Equal(2000L, Convert.ToInt64(counts[0][0]));
        Assert.Equal(2 * Enumerable.Range(0, 1000).Sum(i => $"title {i}".Length), Convert.ToInt64(counts[0][1]));

        // The same run to an Arrow IPC file, then from it to JSON Lines.
        string arrow = Path.Combine(_dir, "items.arrow"), jsonl = Path.Combine(_dir, "items.jsonl");
        Assert.Equal(0, await Items.RunAsync(["--input", Path.Combine(_dir, "in", "*.parquet"), "--output", arrow, "--quiet"]));
        Assert.Equal(0, await Items.RunAsync(["--input", arrow, "--output", jsonl, "--quiet"]));
        Assert.Equal(2000, File.ReadAllLines(jsonl).Length);
    }

    [Fact]
    public async Task Max_file_size_rolls_a_folder_output_and_is_refused_for_json_lines()
    {
        string input = Path.Combine(_dir, "in.jsonl");
        File.WriteAllLines(input, ItemData.Make(4_000).Select(it => System.Text.Json.JsonSerializer.Serialize(it with { Embedding = Enumerable.Range(0, 64).Select(k => (float)(it.Id % 1000 + k)).ToArray() },
            new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } })));
        string outDir = Path.Combine(_dir, "rolled") + "/";
        Assert.Equal(0, await Items.RunAsync(["--input", input, "--output", outDir + "part-00000.parquet", "--max-file-size", "256KiB", "--quiet"]));
        var parts = Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(parts.Count >= 2, string.Join(", ", parts));
        Assert.Equal(parts.Select((_, i) => $"part-{i:D5}.parquet"), parts);
        Assert.Equal(4_000L, Convert.ToInt64(ParquetTests.Query($"SELECT count(DISTINCT id) FROM read_parquet('{outDir}*.parquet')")[0][0]));

        Assert.Equal(HostExitCode.Failed, await Items.RunAsync(["--input", input, "--output", Path.Combine(_dir, "x.jsonl"), "--max-file-size", "1MB", "--quiet"]));
        Assert.False(File.Exists(Path.Combine(_dir, "x.jsonl")));
        var e = Assert.Throws<NotSupportedException>(() => Sink.File<ItemOut>(Path.Combine(_dir, "x.jsonl"), 1_000_000));
        Assert.Contains("a file size to roll at (--max-file-size) is for Parquet and Arrow outputs", e.Message);
    }
}

/// <summary>Binary columns: Parquet BLOB into pooled blobs, and out again, with DuckDB checking the bytes.</summary>
public sealed class BinaryColumnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-blob-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Binary_columns_read_into_pooled_blobs_and_written_back_are_the_bytes_DuckDB_has()
    {
        string input = Path.Combine(_dir, "clips.parquet"), output = Path.Combine(_dir, "out.parquet"), jsonl = Path.Combine(_dir, "out.jsonl");
        // Lengths 0 to 19,303 bytes.
        ParquetTests.Execute($"COPY (SELECT 'clip' || i AS id, encode((SELECT coalesce(string_agg(chr((((i * 7 + k) % 120) + 1)::INTEGER), ''), '') FROM range(i * 97) r(k))) AS audio " +
                             $"FROM range(200) t(i)) TO '{input}' (FORMAT PARQUET)");
        var result = await Clips.Create().RunAsync(Source.Parquet<Clip>(input), Sink.Parquet<ClipOut>(output));
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(200, result.RowsWritten);
        Assert.True(result.Metrics.PeakBytesInFlight > 0, "the blobs were not counted by the budget");
        Assert.Equal(0, result.Metrics.BytesInFlight); // the sink gave every blob back once written

        var expected = ParquetTests.Query($"SELECT id, octet_length(audio), md5(audio) FROM read_parquet('{input}') ORDER BY id");
        var got = ParquetTests.Query($"SELECT id, size, md5(audio), octet_length(audio) FROM read_parquet('{output}') ORDER BY id");
        Assert.Equal(expected.Count, got.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i][0], got[i][0]);
            Assert.Equal(Convert.ToInt64(expected[i][1]), Convert.ToInt64(got[i][1]));  // the stage saw every byte
            Assert.Equal(Convert.ToInt64(expected[i][1]), Convert.ToInt64(got[i][3]));
            Assert.Equal(expected[i][2], got[i][2]);                                       // and wrote the same ones
        }

        // JSON Lines holds a binary column as base64.
        await Clips.Create().RunAsync(Source.Parquet<Clip>(input), Sink.JsonLines<ClipOut>(jsonl));
        var line = File.ReadLines(jsonl).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).First(e => e.GetProperty("id").GetString() == "clip3");
        Assert.Equal(3 * 97, Convert.FromBase64String(line.GetProperty("audio").GetString()!).Length);
    }

    [Fact]
    public async Task Rows_that_fail_where_they_are_read_give_their_blobs_back()
    {
        // Every fifth clip has no id, which Clip needs: the row fails where it is read, its audio already in a blob.
        string input = Path.Combine(_dir, "some-bad.parquet");
        ParquetTests.Execute($"COPY (SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE 'clip' || i END AS id, encode(repeat('x', 2000)) AS audio FROM range(500) t(i)) TO '{input}' (FORMAT PARQUET)");
        var result = await Clips.Create().RunAsync(Source.Parquet<Clip>(input), Sink.Null<ClipOut>());
        Assert.Equal(400, result.RowsWritten);
        Assert.Equal(100, result.Metrics.RowsFailed);
        Assert.True(result.Metrics.PeakBytesInFlight > 0, "the blobs were not counted by the budget");
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }
}
