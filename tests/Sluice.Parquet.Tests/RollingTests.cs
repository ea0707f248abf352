using Sluice;
using Sluice.Testing;
using Xunit;

namespace Sluice.Parquet.Tests;

/// <summary>Row groups sized by bytes, and outputs rolled into several files by size, each renamed when whole.</summary>
public sealed class RollingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-rolling-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Items with 96-float embeddings: about 450 bytes of Arrow data a row.</summary>
    private static List<Item> Wide(int n) =>
        ItemData.Make(n).Select((it, i) => it with { Embedding = Enumerable.Range(0, 96).Select(k => (float)((uint)(i * 96 + k) * 2654435761u % 100_003) / 7).ToArray() }).ToList();

    [Fact]
    public async Task Row_groups_end_near_the_byte_size_asked_for()
    {
        var items = Wide(20_000);
        string file = Path.Combine(_dir, "groups.parquet");
        await Items.Create().RunAsync(Source.From(items), Sink.Parquet<ItemOut>(file, new ParquetWriteOptions { RowGroupBytes = 1 << 20 }));
        var groups = DuckDbOracle.Query($"SELECT row_group_id, any_value(row_group_num_rows), sum(total_uncompressed_size) FROM parquet_metadata('{file}') GROUP BY row_group_id ORDER BY row_group_id");
        // 20,000 rows of about 450 bytes are about 9 MB: about nine groups of 1 MiB, none over it by more than a batch (1/8).
        Assert.InRange(groups.Count, 6, 14);
        long rowsPerGroup = Convert.ToInt64(groups[0][1]);
        Assert.InRange(rowsPerGroup, 1_500, 2_600);
        Assert.Equal(20_000L, groups.Sum(g => Convert.ToInt64(g[1])));
        // The row limit still holds where it comes first.
        string byRows = Path.Combine(_dir, "rows.parquet");
        await Items.Create().RunAsync(Source.From(items), Sink.Parquet<ItemOut>(byRows, new ParquetWriteOptions { RowGroupRows = 3_000 }));
        var counts = DuckDbOracle.Query($"SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('{byRows}') ORDER BY row_group_id").Select(r => Convert.ToInt64(r[1])).ToList();
        Assert.Equal([3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 2_000], counts);
    }

    [Fact]
    public async Task A_folder_output_rolls_into_numbered_files_that_DuckDB_reads_as_the_whole_table()
    {
        var items = Wide(12_000);
        string folder = Path.Combine(_dir, "out") + "/";
        Directory.CreateDirectory(folder);
        // A longer earlier run left more files: the ones this run does not write again are removed when it completes.
        for (int i = 0; i < 40; i++) File.WriteAllText(Path.Combine(folder, $"part-{i:D5}.parquet"), "stale");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not ours");

        var result = await Items.Create().RunAsync(Source.From(items),
            Sink.Parquet<ItemOut>(folder, new ParquetWriteOptions { RowGroupBytes = 256 << 10, MaxFileBytes = 1 << 20 }));
        Assert.Equal(12_000, result.RowsWritten);
        var files = Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var parts = files.Where(f => f!.StartsWith("part-")).ToList();
        Assert.InRange(parts.Count, 3, 8);
        Assert.Equal(parts.Select((_, i) => $"part-{i:D5}.parquet"), parts);
        Assert.Contains("notes.txt", files);
        Assert.DoesNotContain(files, f => f!.Contains("partial"));
        foreach (var p in parts.SkipLast(1))
            Assert.InRange(new FileInfo(Path.Combine(folder, p!)).Length, 1 << 20, (1 << 20) + (600 << 10)); // rolled at the first group past 1 MiB

        var agree = DuckDbOracle.Query($"SELECT count(*), count(DISTINCT id), min(id), max(id) FROM read_parquet('{folder}part-*.parquet')")[0];
        Assert.Equal(12_000L, Convert.ToInt64(agree[0]));
        Assert.Equal(12_000L, Convert.ToInt64(agree[1]));
        var back = new List<ItemOut>();
        var read = await Items.Create().RunAsync(Source.Parquet<Item>(folder + "part-*.parquet"), Sink.To(back));
        Assert.Equal(items.Select(i => i.Id).Order(), back.Select(b => b.Id).Order());
        Assert.Equal(items.OrderBy(i => i.Id).Select(i => i.Embedding), back.OrderBy(b => b.Id).Select(b => b.Embedding));
    }

    [Fact]
    public async Task A_named_file_rolls_on_with_numbers_and_a_stopped_run_keeps_the_files_already_whole()
    {
        var items = Wide(6_000);
        string target = Path.Combine(_dir, "data.arrow");
        using var stop = new CancellationTokenSource();
        int seen = 0;
        var rows = Source.From(Produce());
        IEnumerable<Item> Produce()
        {
            foreach (var it in items)
            {
                if (++seen == 4_500) stop.Cancel();
                yield return it;
            }
        }
        var result = await Items.Create(new PipelineOptions { MorselSize = 100 }).Start(rows,
            Sink.Arrow<ItemOut>(target, new Sluice.Arrow.BatchSinkOptions { BatchRows = 256, MaxFileBytes = 256 << 10 }), stop.Token).Completion;
        Assert.Equal(RunStatus.Cancelled, result.Status);
        var whole = Directory.GetFiles(_dir, "data*.arrow").Select(Path.GetFileName).Where(f => !f!.Contains("partial")).ToHashSet();
        Assert.True(whole.Count >= 2, string.Join(", ", whole));
        // data.arrow, then data-00001.arrow, data-00002.arrow, ...
        Assert.Equal(["data.arrow", .. Enumerable.Range(1, whole.Count - 1).Select(i => $"data-{i:D5}.arrow")], whole.Order(StringComparer.Ordinal).OrderBy(f => f != "data.arrow"));
        // The files already whole and the partial one hold exactly the rows the run counts as written.
        long inFiles = 0;
        foreach (var f in Directory.GetFiles(_dir, "data*.arrow"))
        {
            var back = new List<ItemOut>();
            await Items.Create().RunAsync(Source.Arrow<Item>(f), Sink.To(back));
            inFiles += back.Count;
        }
        Assert.Equal(result.RowsWritten, inFiles);
        Assert.NotNull(result.PartialOutputPath);
        Assert.Contains("partial", result.PartialOutputPath);
    }

    [Fact]
    public void Rolling_options_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sink.Parquet<ItemOut>(Path.Combine(_dir, "x.parquet"), new ParquetWriteOptions { RowGroupBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sink.Parquet<ItemOut>(Path.Combine(_dir, "x.parquet"), new ParquetWriteOptions { RowGroupRows = 0 }));
    }
}
