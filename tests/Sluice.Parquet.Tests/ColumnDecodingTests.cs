using Apache.Arrow;
using Apache.Arrow.Types;
using Sluice.Arrow;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>
/// Sluice's own page decoder (ParquetDecoder.Auto) gives the same Arrow data as Arrow C++'s batch reader on files written
/// by DuckDB and by Sluice: every type it takes, nulls at each level, empty lists, lists cut by batches and windows, several
/// row groups; columns it does not take leave the file to Arrow C++.
/// </summary>
public sealed class ColumnDecodingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-parquet-decoding-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DuckDbFile(string name, string select, int rowGroupRows)
    {
        string file = Path.Combine(_dir, name);
        ParquetTests.Execute($"COPY ({select}) TO '{file}' (FORMAT PARQUET, ROW_GROUP_SIZE {rowGroupRows})");
        return file;
    }

    /// <summary>Every value of <paramref name="columns"/>, row by row, as the reader gives them, and whether Sluice's decoder read them.</summary>
    private static async Task<(List<string> Types, List<List<string>> Columns, long Rows, bool Managed)> ReadAll(string file, ParquetDecoder decoder, string[] columns)
    {
        var values = columns.Select(_ => new List<string>()).ToList();
        List<string> types;
        long rows = 0;
        bool managed;
        await using (var reader = new ParquetFormat { Decoder = decoder }.OpenRead(file, columns))
        {
            managed = ParquetFormat.DecodesInManagedCode(reader);
            types = reader.Schema.FieldsList.Select(f => Describe(f.DataType) + (f.IsNullable ? "?" : "")).ToList();
            while (await reader.ReadNextAsync(default) is { } batch)
            {
                Assert.Equal(columns.Length, batch.ColumnCount);
                for (int c = 0; c < batch.ColumnCount; c++)
                {
                    var array = batch.Column(c);
                    Assert.Equal(batch.Length, array.Length);
                    for (int i = 0; i < array.Length; i++) values[c].Add(Show(array, i));
                }
                rows += batch.Length;
                batch.Dispose();
                reader.Release(batch);
            }
        }
        return (types, values, rows, managed);
    }

    private static string Describe(IArrowType type) => type switch
    {
        ListType l => $"list<{Describe(l.ValueDataType)}{(l.ValueField.IsNullable ? "?" : "")}>",
        TimestampType t => $"timestamp[{t.Unit}, {t.Timezone}]",
        _ => type.Name,
    };

    private static string Show(IArrowArray array, int i)
    {
        if (array.IsNull(i)) return "null";
        return array switch
        {
            ListArray l => "[" + string.Join(",", Enumerable.Range(l.ValueOffsets[i], l.ValueOffsets[i + 1] - l.ValueOffsets[i]).Select(k => Show(l.Values, k))) + "]",
            StringArray s => "'" + s.GetString(i) + "'",
            BinaryArray b => Convert.ToHexString(b.GetBytes(i)),
            BooleanArray b => b.GetValue(i)!.Value ? "true" : "false",
            Int32Array a => a.GetValue(i)!.Value.ToString(),
            Int64Array a => a.GetValue(i)!.Value.ToString(),
            FloatArray a => a.GetValue(i)!.Value.ToString("R"),
            DoubleArray a => a.GetValue(i)!.Value.ToString("R"),
            TimestampArray a => a.GetValue(i)!.Value + " " + ((TimestampType)a.Data.DataType).Unit,
            Date32Array a => a.GetValue(i)!.Value.ToString(),
            _ => array.Data.DataType.Name, // a type only Arrow C++ reads: its rows are counted, not compared
        };
    }

    private static async Task AssertSame(string file, params string[] columns)
    {
        var arrow = await ReadAll(file, ParquetDecoder.ArrowCpp, columns);
        var sluice = await ReadAll(file, ParquetDecoder.Auto, columns);
        Assert.False(arrow.Managed);
        Assert.True(sluice.Managed, "Sluice's decoder did not take the file");
        Assert.Equal(arrow.Types, sluice.Types);
        Assert.Equal(arrow.Rows, sluice.Rows);
        Assert.True(arrow.Rows > 0);
        for (int c = 0; c < columns.Length; c++)
        {
            var a = arrow.Columns[c];
            var s = sluice.Columns[c];
            int first = Enumerable.Range(0, a.Count).FirstOrDefault(i => a[i] != s[i], -1);
            Assert.True(first < 0, first < 0 ? "" : $"column {columns[c]} row {first}: Arrow C++ {a[first]}, Sluice {s[first]}");
        }
    }

    [Fact]
    public async Task Every_type_with_nulls_across_row_groups_reads_as_Arrow_Cpp_reads_it()
    {
        // 30,000 rows in groups of 7,000: batches of 8,192 end at group ends; nulls, empty strings, long strings, all types.
        string file = DuckDbFile("types.parquet", """
            SELECT i::BIGINT AS id,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 7 - 100000)::INTEGER END AS n32,
                   (i * 1000003)::BIGINT AS n64,
                   CASE WHEN i % 3 = 0 THEN NULL ELSE i / 7.0 END::DOUBLE AS d,
                   (i / 3.0)::FLOAT AS f,
                   CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
                   true AS always,
                   CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN '' WHEN i % 6 = 2 THEN repeat('long ✓ ', i % 300) ELSE 'v' || (i % 50) END AS s,
                   CASE WHEN i % 9 = 0 THEN NULL ELSE ('\x' || lpad(printf('%x', i % 256), 2, '0'))::BLOB END AS bin,
                   TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS ts,
                   CASE WHEN i % 8 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) MINUTE END AS tstz,
                   (TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND)::TIMESTAMP_MS AS tsms,
                   DATE '2000-01-01' + (i % 9000)::INTEGER AS day
            FROM range(30000) t(i)
            """, 7000);
        await AssertSame(file, "id", "n32", "n64", "d", "f", "b", "always", "s", "bin", "ts", "tstz", "tsms", "day");
    }

    [Fact]
    public async Task Lists_with_null_lists_empty_lists_and_null_items_read_as_Arrow_Cpp_reads_them()
    {
        // List lengths 0 to 199 so windows of 65,536 levels end inside rows; every kind of null.
        string file = DuckDbFile("lists.parquet", """
            SELECT i::BIGINT AS id,
                   CASE WHEN i % 11 = 0 THEN NULL ELSE [x::FLOAT / 4 FOR x IN range(i % 200)] END AS floats,
                   CASE WHEN i % 13 = 0 THEN NULL ELSE [CASE WHEN x % 17 = 3 THEN NULL ELSE (x * i)::INTEGER END FOR x IN range(i % 37)] END AS ints,
                   [CASE WHEN (x + i) % 101 = 0 THEN NULL ELSE (x + i)::BIGINT END FOR x IN range(i % 5)] AS longs,
                   CASE WHEN i % 2 = 0 THEN [] ELSE [i / 3.0, -i::DOUBLE] END AS doubles
            FROM range(20000) t(i)
            """, 6000);
        await AssertSame(file, "id", "floats", "ints", "longs", "doubles");
    }

    [Fact]
    public async Task Embeddings_of_384_floats_cut_by_windows_and_batches_read_as_Arrow_Cpp_reads_them()
    {
        string file = DuckDbFile("embeddings.parquet", """
            SELECT i::BIGINT AS id, 'https://example.com/' || i AS url, [((i * 384 + x) % 1000)::FLOAT / 7 FOR x IN range(384)] AS embedding
            FROM range(20000) t(i)
            """, 9000);
        await AssertSame(file, "id", "url", "embedding");
        await AssertSame(file, "embedding");
    }

    [Fact]
    public async Task A_file_Sluice_wrote_reads_as_Arrow_Cpp_reads_it()
    {
        string file = Path.Combine(_dir, "items.parquet");
        var result = await Items.Create().RunAsync(Source.From(ItemData.Make(20_000)),
            Sink.Parquet<ItemOut>(file, new ParquetWriteOptions { RowGroupRows = 4_000, Compression = ParquetCompression.Zstd }));
        Assert.Equal(RunStatus.Completed, result.Status);
        await AssertSame(file, "Id", "Count", "Title", "Note", "Score", "Weight", "Flag", "Rank", "Taken", "Kind", "Embedding", "Tokens");
    }

    [Fact]
    public async Task A_column_Sluice_does_not_decode_leaves_the_file_to_Arrow_Cpp()
    {
        string file = DuckDbFile("other.parquet", """
            SELECT i::BIGINT AS id, (i % 100)::TINYINT AS small, {'a': i, 'b': 'x'} AS pair, [[i, i + 1], [i]] AS nested
            FROM range(1000) t(i)
            """, 1000);
        foreach (var column in new[] { "small", "pair", "nested" })
        {
            var read = await ReadAll(file, ParquetDecoder.Auto, ["id", column]);
            Assert.False(read.Managed, column);
            Assert.Equal(1000, read.Rows);
        }
        Assert.True((await ReadAll(file, ParquetDecoder.Auto, ["id"])).Managed);
    }

    [Fact]
    public async Task A_broken_page_under_Sluices_decoder_costs_its_row_group()
    {
        string file = DuckDbFile("broken.parquet", """
            SELECT i::BIGINT AS id, [i::FLOAT, 1, 2] AS embedding FROM range(10000) t(i)
            """, 2000);
        var meta = ParquetTests.Query($"SELECT data_page_offset, row_group_num_rows FROM parquet_metadata('{file}') WHERE path_in_schema LIKE 'embedding%' ORDER BY row_group_id");
        Assert.True(meta.Count >= 4);
        long before = Enumerable.Range(0, 2).Sum(g => Convert.ToInt64(meta[g][1])), lost = Convert.ToInt64(meta[2][1]);
        using (var stream = File.OpenWrite(file))
        {
            stream.Position = Convert.ToInt64(meta[2][0]);
            stream.Write(new byte[16].Select(_ => (byte)0xEE).ToArray());
        }
        var format = new ParquetFormat();
        await using var reader = format.OpenRead(file, ["id", "embedding"]);
        Assert.True(ParquetFormat.DecodesInManagedCode(reader));
        var ids = new List<long>();
        RowsSkippedException? skipped = null;
        while (true)
        {
            RecordBatch? batch;
            try { batch = await reader.ReadNextAsync(default); }
            catch (RowsSkippedException e) { skipped = e; continue; }
            if (batch is null) break;
            var id = (Int64Array)batch.Column(0);
            for (int i = 0; i < id.Length; i++) ids.Add(id.GetValue(i)!.Value);
            batch.Dispose();
            reader.Release(batch);
        }
        Assert.NotNull(skipped);
        Assert.Equal(lost, skipped.Rows);
        Assert.Contains($"row group 3 of {meta.Count}", skipped.Message);
        Assert.Equal(Enumerable.Range(0, 10000).Where(i => i < before || i >= before + lost).Select(i => (long)i), ids);
    }
}
