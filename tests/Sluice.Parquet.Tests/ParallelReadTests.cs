using Sluice;
using Sluice.Arrow;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>Row groups decoded on several threads still come in the file's order, a broken group ends the file where one reader would, and stopping early leaves nothing running.</summary>
public sealed class ParallelReadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-parquet-parallel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>30,000 rows in row groups of 2,048 (15 groups); the title and embedding are made from the id.</summary>
    private string MakeFile(string name)
    {
        string file = Path.Combine(_dir, name);
        ParquetTests.Execute($"""
            COPY (SELECT i::BIGINT AS id, 0::INTEGER AS count, 'title ' || i AS title, NULL::VARCHAR AS note, i / 2.0::DOUBLE AS score,
                         1::FLOAT AS weight, i % 2 = 0 AS flag, NULL::INTEGER AS rank, TIMESTAMP '2024-01-01' AS taken, 'Text' AS kind,
                         [i::FLOAT, (i + 1)::FLOAT, (i * 2)::FLOAT] AS embedding, NULL::INTEGER[] AS tokens
                  FROM range(30000) t(i)) TO '{file}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)
            """);
        return file;
    }

    private static async Task<(List<ItemOut> Rows, RunResult Result)> ReadAsync(string file, int threads)
    {
        var rows = new List<ItemOut>();
        var result = await Items.Create(new PipelineOptions { Ordered = true, Workers = 2 })
            .RunAsync(new BatchFileSource<Item>(new ParquetFormat { ReadThreads = threads }, [file]), Sink.To(rows));
        return (rows, result);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public async Task Every_row_comes_once_in_the_files_order(int threads)
    {
        string file = MakeFile("ordered.parquet");
        Assert.True(Convert.ToInt64(ParquetTests.Query($"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{file}')")[0][0]) >= 10);
        var (rows, result) = await ReadAsync(file, threads);
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(Enumerable.Range(0, 30_000).Select(i => (long)i), rows.Select(r => r.Id));
        Assert.All(rows, r =>
        {
            Assert.Equal($"title {r.Id}", r.Title);
            Assert.Equal(new float[] { r.Id, r.Id + 1, r.Id * 2 }, r.Embedding);
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_broken_row_group_is_one_error_and_the_groups_before_and_after_it_are_read(int threads)
    {
        string file = MakeFile("broken.parquet");
        // Overwrite the first page header of the id column in the sixth row group: that group is lost, the others are read.
        var meta = ParquetTests.Query($"SELECT row_group_id, row_group_num_rows, data_page_offset FROM parquet_metadata('{file}') WHERE path_in_schema = 'id' ORDER BY row_group_id");
        int broken = 5;
        long before = meta.Take(broken).Sum(m => Convert.ToInt64(m[1])), lost = Convert.ToInt64(meta[broken][1]);
        long offset = Convert.ToInt64(meta[broken][2]);
        using (var f = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            f.Position = offset;
            f.Write(Enumerable.Repeat((byte)0xFF, 64).ToArray());
        }

        var (rows, result) = await ReadAsync(file, threads);
        Assert.Equal(Enumerable.Range(0, 30_000).Where(i => i < before || i >= before + lost).Select(i => (long)i), rows.Select(r => r.Id));
        var failure = Assert.Single(result.FailureSamples);
        Assert.Contains($"broken.parquet (rows {before + 1:N0}-{before + lost:N0})", failure.Message);
        Assert.Contains($"row group {broken + 1} of {meta.Count} cannot be read", failure.Message);
        Assert.Contains("thrift", failure.Message);
        Assert.Equal(1, result.RowsFailed);
    }

    [Fact]
    public async Task A_run_stopped_early_ends_without_waiting_for_the_groups_ahead()
    {
        string file = MakeFile("stopped.parquet");
        using var stop = new CancellationTokenSource();
        int seen = 0;
        var sink = Sink.To<ItemOut>(span =>
        {
            if (Interlocked.Add(ref seen, span.Length) >= 3_000) stop.Cancel();
        });
        var run = Items.Create(new PipelineOptions { Workers = 2, MorselSize = 256 })
            .Start(new BatchFileSource<Item>(new ParquetFormat { ReadThreads = 4 }, [file]), sink, stop.Token);
        var finished = await Task.WhenAny(run.Completion, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(run.Completion, finished);
        var result = await run.Completion;
        Assert.Equal(RunStatus.Cancelled, result.Status);
        Assert.True(result.RowsWritten < 30_000, $"{result.RowsWritten} rows written");
    }

    [Fact]
    public void Read_threads_below_one_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParquetFormat { ReadThreads = 0 });
}
