using System.Text.Json;
using Sluice;
using Xunit;

namespace Sluice.Tests.IO;

public class FileSinkTests
{
    private static readonly ItemCodec Codec = new();

    private static List<JsonElement> ParseLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public async Task JSON_Lines_output_is_one_object_per_line_that_an_independent_reader_parses()
    {
        using var dir = new TempDir();
        string path = dir["out.jsonl"];
        await IoTest.WriteAllAsync(Sink.JsonLines<Item>(path), Codec, IoTest.Items);

        string text = File.ReadAllText(path);
        Assert.EndsWith("\n", text);
        var lines = ParseLines(text);
        Assert.Equal(IoTest.Items.Length, lines.Count);
        Assert.Equal("comma, \"quoted\"\nnew line", lines[1].GetProperty("Name").GetString());
        Assert.Equal(JsonValueKind.Null, lines[1].GetProperty("Score").ValueKind);
        Assert.Equal("unicode é 日本語 🚀", lines[2].GetProperty("Name").GetString());
        Assert.Contains("日本語", text); // written as text, not \u escapes
        Assert.Equal(1e-300, lines[2].GetProperty("Score").GetDouble());
        Assert.Equal(uint.MaxValue, lines[2].GetProperty("Tags")[0].GetUInt32());
        Assert.Equal("Green", lines[2].GetProperty("Color").GetString());
    }

    [Theory]
    [InlineData("out.jsonl")]
    [InlineData("out.ndjson")]
    [InlineData("out.csv")]
    [InlineData("out.jsonl.gz")]
    [InlineData("out.csv.gz")]
    public async Task Rows_written_by_extension_read_back_equal(string name)
    {
        using var dir = new TempDir();
        string path = dir[name];
        await IoTest.WriteAllAsync(Sink.File<Item>(path), Codec, IoTest.Items);
        var (rows, bad) = await IoTest.ReadAllAsync(Source.Files<Item>(path), Codec);
        Assert.Empty(bad);
        Assert.Equal(IoTest.Items, rows);
    }

    [Fact]
    public async Task CSV_output_has_a_header_and_quotes_only_fields_that_need_it()
    {
        using var dir = new TempDir();
        string path = dir["out.csv"];
        await IoTest.WriteAllAsync(Sink.Csv<Item>(path), Codec, IoTest.Items.Take(2));
        Assert.Equal(
            "Name,Count,Score,Active,Color,Tags\n" +
            "plain,1,0.5,true,Red,1 2 3\n" +
            "\"comma, \"\"quoted\"\"\nnew line\",-7,,false,Blue,\n",
            File.ReadAllText(path));
    }

    [Fact]
    public async Task Gzip_output_is_a_valid_gzip_stream()
    {
        using var dir = new TempDir();
        string path = dir["out.jsonl.gz"];
        await IoTest.WriteAllAsync(Sink.File<Item>(path), Codec, IoTest.Items);
        Assert.Equal(new byte[] { 0x1f, 0x8b }, File.ReadAllBytes(path)[..2]);
        Assert.Equal(IoTest.Items.Length, ParseLines(IoTest.ReadGzipText(path)).Count);
    }

    [Theory]
    [InlineData("out.jsonl")]
    [InlineData("out.csv")]
    [InlineData("out.jsonl.gz")]
    public async Task A_sink_disposed_without_Complete_leaves_the_old_file_and_a_valid_partial_file_of_the_rows_written(string name)
    {
        using var dir = new TempDir();
        string target = dir[name];
        File.WriteAllText(target, "the previous run's output");
        var sink = (FileSink<Item>)Sink.File<Item>(target);
        sink.FlushBytes = 100; // some rows reach the file before the end, some are still buffered
        var items = Enumerable.Range(0, 50).Select(i => IoTest.Items[i % IoTest.Items.Length] with { Count = i }).ToList();
        await IoTest.WriteAllAsync(sink, Codec, items, complete: false);

        Assert.Equal("the previous run's output", File.ReadAllText(target));
        string path = OutputFiles.PartialPath(target);
        Assert.Equal(dir[name.Replace("out.", "out.partial.")], path);

        if (name.EndsWith(".csv"))
        {
            var (rows, bad) = await IoTest.ReadAllAsync(Source.Csv<Item>(path), Codec);
            Assert.Empty(bad);
            Assert.Equal(items, rows);
        }
        else
        {
            string text = name.EndsWith(".gz") ? IoTest.ReadGzipText(path) : File.ReadAllText(path);
            Assert.Equal(items.Count, ParseLines(text).Count);
        }
    }

    [Fact]
    public async Task A_row_whose_codec_throws_is_cut_and_the_rows_before_it_stay_valid()
    {
        using var dir = new TempDir();
        string path = dir["out.csv"];
        var writer = Sink.Csv<Item>(path).Open(new SinkContext<Item>(new ThrowingCodec()));
        await writer.WriteAsync(new[] { IoTest.Items[0] }, default);
        var halfWritten = IoTest.Items[0] with { Name = "half written" };
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await writer.WriteAsync(new[] { IoTest.Items[0] with { Count = 2 }, halfWritten }, default));
        await writer.DisposeAsync();

        Assert.False(File.Exists(path)); // not completed: the rows are in the partial file
        Assert.Equal("plain,1,0.5,true,Red,1 2 3\nplain,2,0.5,true,Red,1 2 3\n".Length + "Name,Count,Score,Active,Color,Tags\n".Length,
                     File.ReadAllText(dir["out.partial.csv"]).Length);
        Assert.Equal("Name,Count,Score,Active,Color,Tags\nplain,1,0.5,true,Red,1 2 3\nplain,2,0.5,true,Red,1 2 3\n", File.ReadAllText(dir["out.partial.csv"]));
        Assert.Equal(2, ((IFileOutputWriter)writer).RowsInFile);
    }

    [Fact]
    public async Task A_completed_sink_replaces_the_old_file_and_an_unwritten_one_leaves_nothing_behind()
    {
        using var dir = new TempDir();
        string target = dir["out.jsonl"];
        File.WriteAllText(target, "old\n");
        var writer = Sink.JsonLines<Item>(target).Open(new SinkContext<Item>(Codec));
        await writer.WriteAsync(IoTest.Items, default);
        Assert.Equal("old\n", File.ReadAllText(target)); // not replaced while the run writes
        await writer.CompleteAsync(default);
        await writer.DisposeAsync();
        Assert.Equal(IoTest.Items.Length, ParseLines(File.ReadAllText(target)).Count);
        Assert.Equal(["out.jsonl"], Directory.GetFiles(dir.Root).Select(Path.GetFileName));

        // A run that fails before its first row (a missing input, say): the old output stays, no 0-byte file.
        var failed = Sink.JsonLines<Item>(target).Open(new SinkContext<Item>(Codec));
        await failed.DisposeAsync();
        Assert.Equal(IoTest.Items.Length, ParseLines(File.ReadAllText(target)).Count);
        Assert.Equal(["out.jsonl"], Directory.GetFiles(dir.Root).Select(Path.GetFileName));
        Assert.Null(((IFileOutputWriter)failed).PartialPath);
    }

    [Fact]
    public void A_json_output_is_refused_saying_to_write_json_lines()
    {
        var e = Assert.Throws<NotSupportedException>(() => Sink.File<Item>("out.json"));
        Assert.Contains(".json output (one JSON document) is not supported", e.Message);
        Assert.Contains(".jsonl", e.Message);
    }

    [Fact]
    public void Parquet_and_arrow_paths_without_their_package_name_the_package_to_add()
    {
        // This test assembly references neither Sluice.Parquet nor Sluice.Arrow.
        Assert.Contains("written by the Sluice.Parquet package; add a reference to it", Assert.Throws<NotSupportedException>(() => Sink.File<Item>("out.parquet")).Message);
        Assert.Contains("read by the Sluice.Arrow package", Assert.Throws<NotSupportedException>(() => Source.Files<Item>("in/*.arrow")).Message);
    }

    [Fact]
    public async Task Object_store_urls_without_their_package_name_the_package_and_other_schemes_are_refused()
    {
        // This test assembly does not reference Sluice.S3.
        var input = Assert.Throws<NotSupportedException>(() => Source.JsonLines<Item>("s3://bucket/in/*.jsonl").Open(new SourceContext<Item>(Codec)));
        Assert.Contains("'s3://bucket/in/*.jsonl': s3:// URLs are read and written by the Sluice.S3 package; add a reference to it", input.Message);
        var output = Assert.Throws<NotSupportedException>(() => Sink.JsonLines<Item>("s3://bucket/out.jsonl").Open(new SinkContext<Item>(Codec)));
        Assert.Contains("Sluice.S3", output.Message);
        var other = Assert.Throws<NotSupportedException>(() => Source.JsonLines<Item>("gs://bucket/in.jsonl").Open(new SourceContext<Item>(Codec)));
        Assert.Contains("no object store serves gs:// URLs", other.Message);
        var http = Assert.Throws<NotSupportedException>(() => Source.JsonLines<Item>("https://example.com/in.jsonl").Open(new SourceContext<Item>(Codec)));
        Assert.Contains("fetch them in a stage with Downloader", http.Message);
        using var downloader = new Downloader();
        var get = await Assert.ThrowsAsync<NotSupportedException>(async () => (await downloader.GetAsync("s3://bucket/x.bin")).Dispose());
        Assert.Contains("Sluice.S3 package", get.Message);
    }

    [Fact]
    public async Task The_parent_directory_is_created_and_the_description_is_the_path()
    {
        using var dir = new TempDir();
        string path = dir["a/b/out.jsonl"];
        var sink = Sink.JsonLines<Item>(path);
        Assert.Equal(path, sink.Description);
        await IoTest.WriteAllAsync(sink, Codec, IoTest.Items);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task An_empty_run_writes_an_empty_JSON_Lines_file_and_a_CSV_file_with_its_header()
    {
        using var dir = new TempDir();
        await IoTest.WriteAllAsync(Sink.JsonLines<Item>(dir["e.jsonl"]), Codec, []);
        await IoTest.WriteAllAsync(Sink.Csv<Item>(dir["e.csv"]), Codec, []);
        Assert.Equal("", File.ReadAllText(dir["e.jsonl"]));
        Assert.Equal("Name,Count,Score,Active,Color,Tags\n", File.ReadAllText(dir["e.csv"]));
    }

    /// <summary>Throws after writing part of a row named "half written".</summary>
    private sealed class ThrowingCodec : RowCodec<Item>
    {
        private readonly ItemCodec _inner = new();
        public override IReadOnlyList<ColumnInfo> Columns => _inner.Columns;
        public override Item ReadJson(ref Utf8JsonReader reader) => _inner.ReadJson(ref reader);
        public override void WriteJson(Utf8JsonWriter writer, in Item row) => _inner.WriteJson(writer, row);
        public override Item ReadCsv(CsvRow row) => _inner.ReadCsv(row);

        public override void WriteCsv(CsvRowWriter writer, in Item row)
        {
            writer.Write(row.Name);
            writer.Write(row.Count);
            if (row.Name == "half written") throw new InvalidOperationException("boom");
            writer.Write(row.Score);
            writer.Write(row.Active);
            writer.WriteEnum(row.Color);
            writer.WriteArray(row.Tags);
        }
    }
}
