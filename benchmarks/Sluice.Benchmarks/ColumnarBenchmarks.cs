using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DuckDB.NET.Data;
using Sluice.Parquet;

namespace Sluice.Benchmarks;

/// <summary>The benchmark table's rows: an id, a URL and a 384-float embedding (about 1.6 KB).</summary>
public sealed record EmbeddingRow(long Id, string Url, float[] Embedding);

/// <summary>The rows copied as they are: a pipeline without stages, so the numbers are the reader's and the writer's.</summary>
[Pipeline(typeof(EmbeddingRow), typeof(EmbeddingRow))]
public static partial class CopyRows { }

/// <summary>Ten columns, of which a narrow record reads two.</summary>
public sealed record WideRow(long Id, string Url, double A, double B, double C, double D, double E, double F, double G, float[] Embedding);
public sealed record NarrowRow(long Id, string Url);

[Pipeline(typeof(WideRow), typeof(WideRow))]
public static partial class CopyWide { }

[Pipeline(typeof(NarrowRow), typeof(NarrowRow))]
public static partial class CopyNarrow { }

/// <summary>
/// Parquet write and read throughput against DuckDB on the same table (benchmarks/RESULTS.md, section 9). DuckDB
/// writes from its own in-memory table with COPY and reads with an aggregate that decodes all three columns; Sluice
/// writes from records in memory and reads into records (a pipeline without stages into a null sink), which is more
/// work than DuckDB's columnar aggregate: every row becomes a .NET object with its own string and float[].
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class ColumnarBenchmarks
{
    /// <summary>650,000 rows of 384 floats and a URL: a 1 GB table (1.0 GB of embeddings in memory, ~1.04 GB as snappy Parquet).</summary>
    [Params(650_000)] public int Rows;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-columnar-bench");
    private List<EmbeddingRow> _rows = [];
    private DuckDBConnection _duck = null!;

    private string File(string name) => Path.Combine(_dir, name);

    /// <summary>The writes keep the rows in memory: they are what is written.</summary>
    [GlobalSetup(Targets = [nameof(DuckDbWriteSnappy), nameof(SluiceWriteSnappy), nameof(DuckDbWriteZstd), nameof(SluiceWriteZstd)])]
    public void SetupWrite() => Setup(keepRows: true);

    /// <summary>
    /// The reads drop the rows after the files are written: 1 GB of live records would make every garbage collection of
    /// the read (Sluice's and DuckDB.NET's records) walk a heap no real reading process has.
    /// </summary>
    [GlobalSetup(Targets = [nameof(DuckDbReadSnappy), nameof(DuckDbReadRecordsSnappy), nameof(ParquetSharpDecodeSnappy), nameof(SluiceDecodeSnappy), nameof(SluiceDecodeSnappyTwoThreads),
        nameof(SluiceReadSnappyArrowCpp), nameof(SluiceReadSnappy), nameof(DuckDbReadZstd), nameof(DuckDbReadRecordsZstd), nameof(SluiceDecodeZstd), nameof(SluiceDecodeZstdTwoThreads), nameof(SluiceReadZstd), nameof(SluiceReadAllTen), nameof(SluiceReadTwo)])]
    public void SetupRead() => Setup(keepRows: false);

    private void Setup(bool keepRows)
    {
        Directory.CreateDirectory(_dir);
        var rng = new Random(1);
        _rows = new List<EmbeddingRow>(Rows);
        for (int i = 0; i < Rows; i++)
        {
            var e = new float[384];
            for (int k = 0; k < e.Length; k++) e[k] = (float)rng.NextDouble();
            _rows.Add(new EmbeddingRow(i, $"https://example.com/doc/{i}/page.html", e));
        }
        CopyRows.Create().RunAsync(Source.From(_rows), Sink.Parquet<EmbeddingRow>(File("table-snappy.parquet"))).GetAwaiter().GetResult();
        CopyRows.Create().RunAsync(Source.From(_rows), Sink.Parquet<EmbeddingRow>(File("table-zstd.parquet"), new ParquetWriteOptions { Compression = ParquetCompression.Zstd })).GetAwaiter().GetResult();
        _duck = new DuckDBConnection("DataSource=:memory:");
        _duck.Open();
        Execute($"CREATE TABLE t AS SELECT * FROM '{File("table-snappy.parquet")}'");
        foreach (var f in Directory.GetFiles(_dir, "*.parquet")) Console.WriteLine($"// {Path.GetFileName(f)}: {new FileInfo(f).Length:N0} bytes");
        if (!keepRows)
        {
            _rows = [];
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        Execute($"COPY (SELECT id, url, (id * 0.5)::DOUBLE AS a, (id * 1.5)::DOUBLE AS b, (id * 2.5)::DOUBLE AS c, (id * 3.5)::DOUBLE AS d, (id * 4.5)::DOUBLE AS e, (id * 5.5)::DOUBLE AS f, (id * 6.5)::DOUBLE AS g, embedding FROM t) TO '{File("wide.parquet")}' (FORMAT PARQUET)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _duck.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Execute(string sql)
    {
        using var c = _duck.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var c = _duck.CreateCommand();
        c.CommandText = sql;
        return c.ExecuteScalar();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("write snappy")]
    public void DuckDbWriteSnappy() => Execute($"COPY t TO '{File("duck-out-snappy.parquet")}' (FORMAT PARQUET, COMPRESSION snappy)");

    [Benchmark, BenchmarkCategory("write snappy")]
    public Task SluiceWriteSnappy() => CopyRows.Create().RunAsync(Source.From(_rows), Sink.Parquet<EmbeddingRow>(File("sluice-out-snappy.parquet")));

    [Benchmark(Baseline = true), BenchmarkCategory("write zstd")]
    public void DuckDbWriteZstd() => Execute($"COPY t TO '{File("duck-out-zstd.parquet")}' (FORMAT PARQUET, COMPRESSION zstd)");

    [Benchmark, BenchmarkCategory("write zstd")]
    public Task SluiceWriteZstd() => CopyRows.Create().RunAsync(Source.From(_rows),
        Sink.Parquet<EmbeddingRow>(File("sluice-out-zstd.parquet"), new ParquetWriteOptions { Compression = ParquetCompression.Zstd }));

    [Benchmark(Baseline = true), BenchmarkCategory("read snappy")]
    public object? DuckDbReadSnappy() => Scalar($"SELECT max(id) + max(length(url)) + max(embedding[384]) FROM '{File("table-snappy.parquet")}'");

    /// <summary>What a .NET user would write with DuckDB.NET: the rows into records through its data reader.</summary>
    [Benchmark, BenchmarkCategory("read snappy")]
    public int DuckDbReadRecordsSnappy() => DuckDbRecords(File("table-snappy.parquet"));

    /// <summary>DuckDB.NET's data reader into the same records from the zstd file.</summary>
    [Benchmark, BenchmarkCategory("read zstd")]
    public int DuckDbReadRecordsZstd() => DuckDbRecords(File("table-zstd.parquet"));

    private int DuckDbRecords(string path)
    {
        using var c = _duck.CreateCommand();
        c.CommandText = $"SELECT id, url, embedding FROM '{path}'";
        using var r = c.ExecuteReader();
        int n = 0;
        while (r.Read())
        {
            var row = new EmbeddingRow(r.GetInt64(0), r.GetString(1), r.GetFieldValue<List<float>>(2).ToArray());
            if (row.Id >= 0) n++;
        }
        return n;
    }

    /// <summary>The raw native call: ParquetSharp's Arrow reader decoding every batch on one thread, no records made.</summary>
    [Benchmark, BenchmarkCategory("read snappy")]
    public long ParquetSharpDecodeSnappy()
    {
        using var reader = new ParquetSharp.Arrow.FileReader(File("table-snappy.parquet"));
        using var stream = reader.GetRecordBatchReader();
        long n = 0;
        while (stream.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult() is { } batch)
        {
            n += batch.Length;
            batch.Dispose();
        }
        return n;
    }

    /// <summary>
    /// Sluice's reader without records: every batch decoded into Arrow arrays by Sluice's decoder and given back, the
    /// counterpart of DuckDB's aggregate, which makes no .NET objects either.
    /// </summary>
    [Benchmark, BenchmarkCategory("read snappy")]
    public Task<long> SluiceDecodeSnappy() => Decode(File("table-snappy.parquet"), 1);

    /// <summary>The same on two workers (ReadThreads = 2), as DuckDB's scan uses both cores.</summary>
    [Benchmark, BenchmarkCategory("read snappy")]
    public Task<long> SluiceDecodeSnappyTwoThreads() => Decode(File("table-snappy.parquet"), 2);

    /// <summary>Sluice into records with Arrow C++'s batch reader decoding (ParquetDecoder.ArrowCpp), the reader before Sluice's own decoder.</summary>
    [Benchmark, BenchmarkCategory("read snappy")]
    public Task SluiceReadSnappyArrowCpp() => CopyRows.Create().RunAsync(
        new Sluice.Arrow.BatchFileSource<EmbeddingRow>(new ParquetFormat { Decoder = ParquetDecoder.ArrowCpp }, [File("table-snappy.parquet")]), Sink.Null<EmbeddingRow>());

    private static async Task<long> Decode(string path, int threads)
    {
        long n = 0;
        await using var reader = new ParquetFormat { ReadThreads = threads }.OpenRead(path, ["Id", "Url", "Embedding"]);
        while (await reader.ReadNextAsync(default) is { } batch)
        {
            n += batch.Length;
            batch.Dispose();
            reader.Release(batch);
        }
        return n;
    }

    [Benchmark, BenchmarkCategory("read snappy")]
    public Task SluiceReadSnappy() => CopyRows.Create().RunAsync(Source.Parquet<EmbeddingRow>(File("table-snappy.parquet")), Sink.Null<EmbeddingRow>());

    [Benchmark(Baseline = true), BenchmarkCategory("read zstd")]
    public object? DuckDbReadZstd() => Scalar($"SELECT max(id) + max(length(url)) + max(embedding[384]) FROM '{File("table-zstd.parquet")}'");

    [Benchmark, BenchmarkCategory("read zstd")]
    public Task<long> SluiceDecodeZstd() => Decode(File("table-zstd.parquet"), 1);

    [Benchmark, BenchmarkCategory("read zstd")]
    public Task<long> SluiceDecodeZstdTwoThreads() => Decode(File("table-zstd.parquet"), 2);

    [Benchmark, BenchmarkCategory("read zstd")]
    public Task SluiceReadZstd() => CopyRows.Create().RunAsync(Source.Parquet<EmbeddingRow>(File("table-zstd.parquet")), Sink.Null<EmbeddingRow>());

    [Benchmark(Baseline = true), BenchmarkCategory("read 2 of 10 columns")]
    public Task SluiceReadAllTen() => CopyWide.Create().RunAsync(Source.Parquet<WideRow>(File("wide.parquet")), Sink.Null<WideRow>());

    [Benchmark, BenchmarkCategory("read 2 of 10 columns")]
    public Task SluiceReadTwo() => CopyNarrow.Create().RunAsync(Source.Parquet<NarrowRow>(File("wide.parquet")), Sink.Null<NarrowRow>());
}
