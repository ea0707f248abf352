using DuckDB.NET.Data;
using Sluice;
using Sluice.Testing;
using Xunit;

namespace Sluice.DuckDb.Tests;

public sealed record Sale(string Region, long Orders, double Revenue, string[] Products);
public sealed record Report(string Region, long Orders, double Revenue, double PerOrder, int ProductCount);

[Pipeline(typeof(Sale), typeof(Report))]
public static partial class Reports
{
    [Stage] static double PerOrder(long orders, double revenue) => orders == 0 ? 0 : revenue / orders;
    [Stage] static int ProductCount(string[] products) => products.Length;
}

public sealed record Doc(long Id, string Text, Blob? Attachment);
public sealed record DocOut(long Id, string Text, int Words, int AttachmentBytes);

[Pipeline(typeof(Doc), typeof(DocOut))]
public static partial class Docs
{
    [Stage] static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 7 ? throw new InvalidOperationException("seven words") : text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
    [Stage] static int AttachmentBytes(Blob? attachment) => attachment?.Length ?? -1;
}

/// <summary>DuckDB does the relational work; its rows stream into a pipeline, and pipelines write into DuckDB.</summary>
public sealed class DuckDbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-duckdb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    internal static List<object?[]> Query(string sql, string database = ":memory:") => DuckDbOracle.Query(sql, database);

    internal static void Execute(string sql, string database = ":memory:") => DuckDbOracle.Execute(sql, database);

    private void WriteSales()
    {
        Execute($"COPY (SELECT i AS order_id, ['north', 'south', 'east', 'west'][i % 4 + 1] AS region_code, (i % 17) * 1.25 AS amount, 'p' || (i % 23) AS product FROM range(20000) t(i)) TO '{PathOf("orders.parquet")}' (FORMAT PARQUET)");
        Execute($"COPY (SELECT * FROM (VALUES ('north', 'North'), ('south', 'South'), ('east', 'East'), ('west', 'West')) v(code, name)) TO '{PathOf("regions.csv")}' (FORMAT CSV, HEADER)");
    }

    private string SalesQuery => $"""
        SELECT r.name AS region, count(*) AS orders, sum(o.amount)::DOUBLE AS revenue, list(DISTINCT o.product ORDER BY o.product) AS products
        FROM '{PathOf("orders.parquet")}' o JOIN read_csv('{PathOf("regions.csv")}') r ON o.region_code = r.code
        GROUP BY r.name ORDER BY r.name
        """;

    [Fact]
    public async Task A_join_and_group_by_in_DuckDB_stream_into_a_pipeline()
    {
        WriteSales();
        var reports = new List<Report>();
        var result = await Reports.Create().RunAsync(Source.Query<Sale>(SalesQuery), Sink.To(reports));
        Assert.Equal(RunStatus.Completed, result.Status);
        var expected = Query(SalesQuery);
        Assert.Equal(expected.Count, reports.Count);
        foreach (var e in expected)
        {
            var r = reports.Single(x => x.Region == (string)e[0]!);
            Assert.Equal((long)e[1]!, r.Orders);
            Assert.Equal((double)e[2]!, r.Revenue);
            Assert.Equal((double)e[2]! / (long)e[1]!, r.PerOrder);
            Assert.Equal(((System.Collections.IList)e[3]!).Count, r.ProductCount);
        }
    }

    [Fact]
    public async Task A_pipeline_appends_to_a_table_all_or_nothing_and_copies_to_files()
    {
        WriteSales();
        string db = PathOf("results.duckdb");
        var result = await Reports.Create().RunAsync(Source.Query<Sale>(SalesQuery), Sink.DuckDb<Report>(db, "reports"));
        Assert.Equal(4, result.RowsWritten);
        var rows = Query("SELECT region, orders, perOrder, productCount FROM reports ORDER BY region", db);
        Assert.Equal(["East", "North", "South", "West"], rows.Select(r => (string)r[0]!));
        Assert.All(rows, r => Assert.Equal(23, (int)r[3]!));
        Assert.Empty(Query("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%sluice_partial'", db));

        // A second run appends; COPY writes the rows to CSV that DuckDB reads back.
        await Reports.Create().RunAsync(Source.Query<Sale>(SalesQuery), Sink.DuckDb<Report>(db, "reports"));
        Assert.Equal(8L, Convert.ToInt64(Query("SELECT count(*) FROM reports", db)[0][0]));
        string csv = PathOf("reports.csv");
        await Reports.Create().RunAsync(Source.Query<Sale>(SalesQuery), Sink.DuckDbCopy<Report>(csv, "FORMAT CSV, HEADER"));
        var back = Query($"SELECT region, orders FROM read_csv('{csv}') ORDER BY region");
        Assert.Equal(["East", "North", "South", "West"], back.Select(r => (string)r[0]!));
        Assert.False(File.Exists(PathOf("reports.partial.csv")));
    }

    [Fact]
    public async Task A_run_that_stops_leaves_the_table_as_it_was_and_its_rows_in_the_staging_table()
    {
        string db = PathOf("docs.duckdb");
        Execute("CREATE TABLE docs (id BIGINT, text VARCHAR, words INTEGER, attachmentBytes INTEGER); INSERT INTO docs VALUES (0, 'old', 1, -1)", db);
        // Row 50 has seven words; with a limit of 0 failed rows the run stops there.
        string query = "SELECT i::BIGINT AS id, CASE WHEN i = 50 THEN 'a b c d e f g' ELSE 'word ' || i END AS text, " +
                       "CASE WHEN i % 2 = 0 THEN NULL ELSE encode(repeat('x', i::INTEGER)) END AS attachment FROM range(5000) t(i)";
        var options = new PipelineOptions { MaxFailedRows = 0 };
        var stopped = await Assert.ThrowsAsync<PipelineFailedException>(() => Docs.Create(options).RunAsync(Source.Query<Doc>(query), Sink.DuckDb<DocOut>(db, "docs")));
        var result = stopped.Result;
        Assert.Equal(RunStatus.Failed, result.Status);
        Assert.Equal(1L, Convert.ToInt64(Query("SELECT count(*) FROM docs", db)[0][0]));      // as it was
        Assert.Equal("docs.duckdb: table docs__sluice_partial", Path.GetFileName(result.PartialOutputPath!));
        Assert.Equal(result.RowsWritten, Convert.ToInt64(Query("SELECT count(*) FROM docs__sluice_partial", db)[0][0]));

        // Without the limit the row fails alone; blobs arrive whole and go back to the budget.
        var ok = await Docs.Create().RunAsync(Source.Query<Doc>(query), Sink.DuckDb<DocOut>(db, "docs"));
        Assert.Equal(RunStatus.Completed, ok.Status);
        Assert.Equal(4999, ok.RowsWritten);
        Assert.Equal(0, ok.Metrics.BytesInFlight);
        var sizes = Query("SELECT id, attachmentBytes FROM docs WHERE id > 0 ORDER BY id LIMIT 4", db);
        Assert.Equal([1, -1, 3, -1], sizes.Select(r => (int)r[1]!)); // ids 1-4: odd ones carry i bytes, even ones none
    }

    [Fact]
    public async Task Rows_that_fail_at_the_source_give_their_blobs_back()
    {
        // Every tenth row has no text, which Doc needs: it fails where it is read, with its attachment already in a blob.
        string query = "SELECT i::BIGINT AS id, CASE WHEN i % 10 = 0 THEN NULL ELSE 'w ' || i END AS text, encode(repeat('x', 1000)) AS attachment FROM range(3000) t(i)";
        var result = await Docs.Create().RunAsync(Source.Query<Doc>(query), Sink.Null<DocOut>());
        Assert.Equal(2700, result.RowsWritten);
        Assert.Equal(300, result.Metrics.RowsFailed);
        Assert.True(result.Metrics.PeakBytesInFlight > 0, "the blobs were not counted by the budget");
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public void A_query_without_a_column_the_record_needs_names_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => Source.Query<Sale>("SELECT 'x' AS region, 1::BIGINT AS orders").Open(new SourceContext<Sale>(null)));
        Assert.Contains("the query has no column 'revenue'", e.Message);
    }
}
