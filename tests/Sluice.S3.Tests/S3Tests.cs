using Xunit;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Sluice.Parquet;
using Sluice.Testing;

namespace Sluice.S3.Tests;

[Collection("s3")]
public sealed class S3Tests : IDisposable
{
    private readonly S3Server _server;
    private readonly S3Store _store;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-s3-" + Guid.NewGuid().ToString("N")[..8]);

    public S3Tests(S3Server server)
    {
        _server = server;
        _store = S3Storage.Configure(server.Options());
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A table DuckDB writes: id, name, score, a 64-float embedding, a nullable rank.</summary>
    private string MakeTable(string name, int first, int count, int dims = 64)
    {
        string path = Path.Combine(_dir, name);
        DuckDbOracle.Execute($"""
            COPY (SELECT i::BIGINT AS id, 'name ' || i || repeat('x', (i % 13)::INT) AS name, (i * 0.25)::DOUBLE AS score,
                         list_transform(range({dims}), k -> (hash(i * {dims} + k) % 1000003)::FLOAT / 7) AS embedding,
                         CASE WHEN i % 3 = 0 THEN NULL ELSE i::INTEGER END AS rank
                  FROM range({first}, {first + count}) t(i)) TO '{path}' (FORMAT PARQUET)
            """);
        return path;
    }

    private async Task UploadAsync(string local, string url)
    {
        using var http = new Downloader();
        await http.PutAsync(url, await File.ReadAllBytesAsync(local));
    }

    private async Task<string> DownloadAsync(string url, string name)
    {
        using var http = new Downloader();
        using var blob = await http.GetAsync(url);
        string path = Path.Combine(_dir, name);
        await File.WriteAllBytesAsync(path, blob.Span.ToArray());
        return path;
    }

    [Fact]
    public async Task A_get_returns_the_bytes_a_put_sent_and_the_server_stores_exactly_them()
    {
        var rng = new Random(5);
        // Empty, small, just under a part (one PUT) and several parts (a multipart upload of 8 MiB parts).
        foreach (int size in new[] { 0, 100, (5 << 20) + 3, (20 << 20) + 7 })
        {
            var body = new byte[size];
            rng.NextBytes(body);
            string key = $"blobs/{size}.bin";
            using var http = new Downloader();
            await http.PutAsync($"s3://data/{key}", body);
            using var back = await http.GetAsync($"s3://data/{key}");
            Assert.True(back.Span.SequenceEqual(body), $"{size} bytes: GET differs from PUT");
            // The server's own copy: no chunk signatures or trailing checksums inside the object.
            Assert.True(_server.StoredBytes("data", key).AsSpan().SequenceEqual(body), $"{size} bytes: s3rver stored other bytes");
        }
    }

    [Fact]
    public async Task Parquet_read_by_a_glob_and_written_back_rolled_agrees_with_DuckDB_on_every_value()
    {
        for (int k = 0; k < 3; k++) await UploadAsync(MakeTable($"in{k}.parquet", k * 2_000, 2_000), $"s3://data/tables/part-{k}.parquet");
        await UploadAsync(MakeTable("other.parquet", 0, 10), "s3://data/tables-other/x.parquet"); // outside the glob

        var result = await Rows.Create().RunAsync(
            Source.Parquet<Row>("s3://data/tables/*.parquet"),
            Sink.Parquet<RowOut>("s3://out/rolled/", new ParquetWriteOptions { RowGroupBytes = 64 << 10, MaxFileBytes = 200 << 10 }));
        Assert.Equal(6_000, result.Metrics.RowsWritten);

        var files = _store.List("s3://out/rolled/*");
        Assert.True(files.Count >= 3, $"expected several rolled files, got {files.Count}");
        Assert.Equal(files.Select((_, i) => $"s3://out/rolled/part-{i:D5}.parquet"), files.Select(f => f.Url)); // nothing partial left
        string local = Path.Combine(_dir, "rolled");
        Directory.CreateDirectory(local);
        foreach (var f in files) await File.WriteAllBytesAsync(Path.Combine(local, Path.GetFileName(f.Url)), _server.StoredBytes("out", f.Url["s3://out/".Length..]));

        string inputs = Path.Combine(_dir, "in*.parquet"), outputs = Path.Combine(local, "*.parquet");
        var agree = DuckDbOracle.Query($"""
            SELECT count(*) FROM read_parquet('{inputs}') i JOIN read_parquet('{outputs}') o USING (id)
            WHERE i.name = o.name AND i.score = o.score AND i.embedding = o.embedding AND i.rank IS NOT DISTINCT FROM o.rank
              AND o.nameLength = length(i.name)
            """);
        Assert.Equal(6_000L, Convert.ToInt64(agree[0][0]));
        Assert.Equal(6_000L, Convert.ToInt64(DuckDbOracle.Query($"SELECT count(*) FROM read_parquet('{outputs}')")[0][0]));
        // Each file was rolled at a row group boundary once it passed 200 KiB; row groups hold about 64 KiB of data.
        var groups = DuckDbOracle.Query($"SELECT file_name, row_group_id, row_group_num_rows FROM parquet_metadata('{outputs}') GROUP BY ALL");
        Assert.True(groups.Count >= 3 * files.Count, $"{groups.Count} row groups in {files.Count} files");
        Assert.All(groups, g => Assert.InRange(Convert.ToInt64(g[2]), 1, 400)); // 64 KiB / ~300 bytes a row
    }

    [Fact]
    public async Task Reading_two_columns_of_an_s3_parquet_file_fetches_a_small_part_of_it()
    {
        string wide = MakeTable("wide.parquet", 0, 20_000, dims: 256);
        await UploadAsync(wide, "s3://data/wide.parquet");
        long length = new FileInfo(wide).Length;
        long before = _store.BytesRead;
        var rows = new List<SlimOut>();
        await SlimRows.Create().RunAsync(Source.Parquet<Slim>("s3://data/wide.parquet"), Sink.To(rows));
        long fetched = _store.BytesRead - before;
        Assert.Equal(20_000, rows.Count);
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (long)i), rows.Select(r => r.Id).Order());
        Assert.All(rows, r => Assert.Equal(("name " + r.Id).Length + (int)(r.Id % 13), r.NameLength));
        Assert.True(fetched < length / 10, $"fetched {fetched:N0} of {length:N0} bytes for 2 of 5 columns (the embedding is most of the file)");
    }

    [Fact]
    public async Task Json_lines_by_a_recursive_glob_with_braces_in_and_gzip_out()
    {
        static string Line(long id) => JsonSerializer.Serialize(new { id, name = $"n{id}", score = id / 2.0, embedding = new[] { 1f, id }, rank = (int?)null });
        using var http = new Downloader();
        await http.PutAsync("s3://data/logs/2024/a.jsonl", Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 50).Select(i => Line(i))) + "\n"));
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(50, 70).Select(i => Line(i))) + "\n"));
        await http.PutAsync("s3://data/logs/2025/06/b.jsonl.gz", gz.ToArray());
        await http.PutAsync("s3://data/logs/2025/skip.csv", "id\n1\n"u8.ToArray());

        var result = await Rows.Create().RunAsync(Source.Files<Row>("s3://data/logs/**/*.{jsonl,jsonl.gz}"), Sink.File<RowOut>("s3://out/logs/result.jsonl.gz"));
        Assert.Equal(120, result.Metrics.RowsWritten);
        using var back = await http.GetAsync("s3://out/logs/result.jsonl.gz");
        using var reader = new StreamReader(new GZipStream(new MemoryStream(back.Span.ToArray()), CompressionMode.Decompress));
        var ids = new List<long>();
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            long id = doc.RootElement.GetProperty("id").GetInt64();
            Assert.Equal($"n{id}".Length, doc.RootElement.GetProperty("nameLength").GetInt32());
            ids.Add(id);
        }
        Assert.Equal(Enumerable.Range(0, 120).Select(i => (long)i), ids.Order());
    }

    [Fact]
    public async Task The_host_reads_and_writes_s3_urls()
    {
        await UploadAsync(MakeTable("host.parquet", 0, 500), "s3://data/host/in.parquet");
        Assert.Equal(0, await Rows.RunAsync(["--input", "s3://data/host/*.parquet", "--output", "s3://out/host/", "--quiet"]));
        string local = await DownloadAsync("s3://out/host/part-00000.parquet", "host-out.parquet");
        Assert.Equal(500L, Convert.ToInt64(DuckDbOracle.Query($"SELECT count(DISTINCT id) FROM read_parquet('{local}')")[0][0]));
        // A glob that matches nothing fails at the start, as a local one does.
        Assert.NotEqual(0, await Rows.RunAsync(["--input", "s3://data/host/nothing-*.parquet", "--output", "s3://out/host2/", "--quiet"]));
        Assert.Throws<FileNotFoundException>(() => _store.List("s3://out/host2/*"));
    }

    [Fact]
    public async Task Requests_answered_503_and_bodies_cut_off_are_retried_and_every_value_arrives()
    {
        for (int k = 0; k < 2; k++) await UploadAsync(MakeTable($"retry-in-{k}.parquet", k * 3_000, 3_000), $"s3://data/retry/part-{k}.parquet");
        var rng = new Random(9);
        var bodies = new Dictionary<string, byte[]>();
        using (var direct = new Downloader())
            for (int i = 0; i < 12; i++)
            {
                var body = new byte[rng.Next(1, 300_000)];
                rng.NextBytes(body);
                bodies[$"s3://data/retry/blob-{i}"] = body;
                await direct.PutAsync($"s3://data/retry/blob-{i}", body);
            }

        using var proxy = new FaultProxy(_server.Url, slowDownEvery: 4, cutEvery: 3);
        var store = S3Storage.Configure(_server.Options(proxy.Url) with { ReadBytes = 64 << 10 });
        try
        {
            var result = await Rows.Create().RunAsync(Source.Parquet<Row>("s3://data/retry/*.parquet"), Sink.Parquet<RowOut>("s3://out/retry/out.parquet"));
            Assert.Equal(6_000, result.Metrics.RowsWritten);
            var fetched = new List<Fetched>();
            await Fetches.Create().RunAsync(Source.From(bodies.Keys.Select(u => new Fetch(u)).ToList()), Sink.To(fetched));
            Assert.Equal(bodies.Count, fetched.Count);
            foreach (var f in fetched)
            {
                Assert.Equal(bodies[f.Url].Length, f.Size);
                Assert.Equal(Fetches.Checksum(bodies[f.Url]), f.Sum);
            }
        }
        finally
        {
            S3Storage.Configure(_server.Options());
        }
        Assert.True(proxy.SlowDowns >= 5, $"only {proxy.SlowDowns} requests were answered 503");
        Assert.True(proxy.Cuts >= 5, $"only {proxy.Cuts} bodies were cut off");

        string local = await DownloadAsync("s3://out/retry/out.parquet", "retry-out.parquet");
        string inputsGlob = Path.Combine(_dir, "retry-in-*.parquet");
        var agree = DuckDbOracle.Query($"""
            SELECT count(*) FROM read_parquet('{inputsGlob}') i JOIN read_parquet('{local}') o USING (id)
            WHERE i.name = o.name AND i.embedding = o.embedding AND i.rank IS NOT DISTINCT FROM o.rank
            """);
        Assert.Equal(6_000L, Convert.ToInt64(agree[0][0]));
    }

    [Fact]
    public async Task A_run_that_fails_leaves_the_object_it_would_have_replaced()
    {
        var old = Encoding.UTF8.GetBytes("{\"old\":true}\n");
        using var http = new Downloader();
        await http.PutAsync("s3://out/keep/result.jsonl", old);
        await UploadAsync(MakeTable("fail.parquet", 0, 3_000), "s3://data/fail/in.parquet");
        // A limit of no failed rows, and input rows without the name the record needs: the run fails.
        DuckDbOracle.Execute($"COPY (SELECT id, CASE WHEN id = 2500 THEN NULL ELSE name END AS name, score, embedding, rank FROM read_parquet('{Path.Combine(_dir, "fail.parquet")}')) TO '{Path.Combine(_dir, "fail2.parquet")}' (FORMAT PARQUET)");
        await UploadAsync(Path.Combine(_dir, "fail2.parquet"), "s3://data/fail/in.parquet");

        var e = await Assert.ThrowsAsync<PipelineFailedException>(() =>
            Rows.Create(new PipelineOptions { MaxFailedRows = 0 }).RunAsync(Source.Parquet<Row>("s3://data/fail/in.parquet"), Sink.File<RowOut>("s3://out/keep/result.jsonl")));
        Assert.Equal(RunStatus.Failed, e.Result.Status);
        Assert.Equal(0, e.Result.Metrics.RowsWritten); // an abandoned upload holds no rows anywhere
        using var kept = await http.GetAsync("s3://out/keep/result.jsonl");
        Assert.True(kept.Span.SequenceEqual(old));
        Assert.Equal(["s3://out/keep/result.jsonl"], _store.List("s3://out/keep/*").Select(o => o.Url));
    }

    [Fact]
    public async Task Missing_objects_buckets_and_globs_without_matches_are_named()
    {
        var none = await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ListAsync("s3://data/no/such.parquet"));
        Assert.Contains("s3://data/no/such.parquet", none.Message);
        var glob = await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ListAsync("s3://data/no/*.parquet"));
        Assert.Contains("No objects match 's3://data/no/*.parquet'", glob.Message);
        var bucket = await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ListAsync("s3://nobucket/x/*.parquet"));
        Assert.Contains("no bucket 'nobucket'", bucket.Message);
        var folder = await Assert.ThrowsAsync<FileNotFoundException>(() => _store.ListAsync("s3://data/tables/"));
        Assert.Contains("use a glob", folder.Message);
        using var http = new Downloader();
        var get = await Assert.ThrowsAsync<FileNotFoundException>(async () => (await http.GetAsync("s3://data/missing.bin")).Dispose());
        Assert.Contains("s3://data/missing.bin", get.Message);
    }

    [Fact]
    public async Task An_object_that_is_no_parquet_is_one_bad_row_and_the_other_files_are_read()
    {
        await UploadAsync(MakeTable("good.parquet", 0, 100), "s3://data/mixed/a.parquet");
        using (var http = new Downloader()) await http.PutAsync("s3://data/mixed/b.parquet", Encoding.UTF8.GetBytes("not parquet at all, but long enough"));
        var result = await Rows.Create().RunAsync(Source.Parquet<Row>("s3://data/mixed/*.parquet"), Sink.To(new List<RowOut>()));
        Assert.Equal(100, result.Metrics.RowsWritten);
        var failure = Assert.Single(result.FailureSamples);
        Assert.Contains("s3://data/mixed/b.parquet", failure.Row + failure.Message);
        Assert.Contains("no Parquet signature", failure.Message);
    }
}
