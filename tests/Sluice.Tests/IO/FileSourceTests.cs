using Sluice;
using Xunit;

namespace Sluice.Tests.IO;

public class FileSourceTests
{
    private static readonly ItemCodec Codec = new();

    private const string GoodLine = """{"name":"a","count":1,"score":null,"active":true,"color":"red","tags":[1,2]}""";

    [Fact]
    public async Task JSON_Lines_rows_read_with_properties_matched_ignoring_case_and_unknown_ones_skipped()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.jsonl",
            GoodLine + "\n" +
            """{"Name":"b","COUNT":2,"Score":2.5,"Active":false,"Color":2,"Extra":{"x":[1,{"y":2}]}}""" + "\n");
        var (rows, bad) = await IoTest.ReadAllAsync(Source.JsonLines<Item>(path), Codec);
        Assert.Empty(bad);
        Assert.Equal(
            new[] { new Item("a", 1, null, true, Color.Red, [1, 2]), new Item("b", 2, 2.5, false, Color.Blue, []) },
            rows);
    }

    [Fact]
    public async Task Bad_JSON_lines_go_to_BadRow_with_file_line_and_reason_and_reading_goes_on()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.jsonl", string.Join("\n",
            GoodLine,
            "{not json",
            """{"name":"b","count":"x","active":true,"color":"red"}""",
            "[1,2]",
            """{"name":"c","active":true,"color":"red"}""",
            GoodLine + " trailing",
            GoodLine));
        var (rows, bad) = await IoTest.ReadAllAsync(Source.JsonLines<Item>(path), Codec);

        Assert.Equal(2, rows.Count);
        Assert.Equal([$"{path}:2", $"{path}:3", $"{path}:4", $"{path}:5", $"{path}:6"], bad.Select(b => b.Location));
        Assert.StartsWith("invalid JSON: ", bad[0].Message);
        Assert.Equal("column 'Count': expects Int32 but found String \"x\"", bad[1].Message);
        Assert.Equal("expects a JSON object but found an array", bad[2].Message);
        Assert.Equal("column 'Count': is missing", bad[3].Message);
        Assert.StartsWith("invalid JSON: ", bad[4].Message);
        Assert.Equal("{not json", bad[0].Raw);
    }

    [Fact]
    public async Task Without_a_run_a_bad_row_throws_naming_its_location()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.jsonl", GoodLine + "\n{\n");
        await using var reader = Source.JsonLines<Item>(path).Open(new SourceContext<Item>(Codec));
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await reader.ReadAsync(new Item[10], default));
        Assert.StartsWith($"{path}:2: invalid JSON", e.Message);
    }

    [Fact]
    public async Task Blank_lines_CRLF_line_ends_a_byte_order_mark_and_a_missing_last_newline_are_handled()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.jsonl", "\uFEFF" + GoodLine + "\r\n\r\n   \n\t\n" + GoodLine.Replace("\"a\"", "\"z\""));
        var (rows, bad) = await IoTest.ReadAllAsync(Source.JsonLines<Item>(path), Codec);
        Assert.Empty(bad);
        Assert.Equal(["a", "z"], rows.Select(r => r.Name));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(1 << 20)]
    public async Task Rows_split_across_read_buffers_of_any_size_read_whole(int bufferSize)
    {
        using var dir = new TempDir();
        var items = Enumerable.Range(0, 200).Select(i => IoTest.Items[i % IoTest.Items.Length] with { Count = i }).ToList();
        string json = dir["in.jsonl"], csv = dir["in.csv"];
        await IoTest.WriteAllAsync(Sink.JsonLines<Item>(json), Codec, items);
        await IoTest.WriteAllAsync(Sink.Csv<Item>(csv), Codec, items);

        foreach (var path in new[] { json, csv })
        {
            var source = (FileSource<Item>)Source.Files<Item>(path);
            source.BufferSize = bufferSize;
            var (rows, bad) = await IoTest.ReadAllAsync(source, Codec, chunk: 7);
            Assert.Empty(bad);
            Assert.Equal(items, rows);
        }
    }

    [Fact]
    public async Task A_record_longer_than_the_limit_fails_the_read_naming_the_file()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.csv", "Name,Count,Active,Color\n\"" + new string('x', 5000));
        var source = (FileSource<Item>)Source.Csv<Item>(path);
        source.BufferSize = 64;
        source.MaxRecordBytes = 1024;
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => IoTest.ReadAllAsync(source, Codec));
        Assert.Contains($"{path}:2", e.Message);
    }

    [Fact]
    public async Task CSV_rows_map_columns_through_the_header_in_any_order_and_case()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.csv",
            "color, ACTIVE ,extra,name,count,score,tags\r\n" +
            "blue,true,ignored,\"a, \"\"b\"\"\",3,,1 2\r\n" +
            "Green,false,,plain,-1,0.25,\r\n");
        var (rows, bad) = await IoTest.ReadAllAsync(Source.Csv<Item>(path), Codec);
        Assert.Empty(bad);
        Assert.Equal(
            new[] { new Item("a, \"b\"", 3, null, true, Color.Blue, [1, 2]), new Item("plain", -1, 0.25, false, Color.Green, []) },
            rows);
    }

    [Fact]
    public async Task A_required_column_missing_from_the_CSV_header_is_one_error_naming_file_line_and_column()
    {
        using var dir = new TempDir();
        string path = dir.Write("people.csv", "name,active,colour\nx,true,red\n");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => IoTest.ReadAllAsync(Source.Csv<Item>(path), Codec));
        Assert.Equal($"{path}:1: the CSV header has no column 'Count', 'Color' (required by Item); its columns are: name, active, colour.", e.Message);
    }

    [Fact]
    public async Task An_optional_column_missing_from_the_CSV_header_reads_as_default()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.csv", "name,count,active,color\nx,1,true,red\n");
        var (rows, _) = await IoTest.ReadAllAsync(Source.Csv<Item>(path), Codec);
        Assert.Equal(new Item("x", 1, null, true, Color.Red, []), Assert.Single(rows));
    }

    [Fact]
    public async Task Bad_CSV_rows_go_to_BadRow_with_file_line_and_column_and_reading_goes_on()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.csv", string.Join("\n",
            "name,count,active,color",
            "\"two\nlines\",1,true,red",
            "b,abc,true,red",
            "c,1,true",
            "d,1,maybe,red",
            "\"e\"x,1,true,red",
            "f,2,false,blue",
            "\"unclosed,1,true,red"));
        var (rows, bad) = await IoTest.ReadAllAsync(Source.Csv<Item>(path), Codec);

        Assert.Equal(["two\nlines", "f"], rows.Select(r => r.Name));
        Assert.Equal(
            new[]
            {
                new BadRow($"{path}:4", "column 'Count': expects Int32 but found \"abc\"", "b,abc,true,red"),
                new BadRow($"{path}:5", "has 3 fields but the header has 4", "c,1,true"),
                new BadRow($"{path}:6", "column 'Active': expects Boolean but found \"maybe\"", "d,1,maybe,red"),
                new BadRow($"{path}:7", "unexpected 'x' after the closing quote of field 1 (a quote inside a field must be doubled)", "\"e\"x,1,true,red"),
                new BadRow($"{path}:9", "a quoted field is not closed before the end of the file", "\"unclosed,1,true,red"),
            },
            bad);
    }

    [Fact]
    public async Task Globs_expand_in_sorted_order_across_directories()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "b.jsonl", "a.jsonl", "sub/d.jsonl", "sub/deep/e.jsonl", ".hidden.jsonl", ".git/f.jsonl" })
            dir.Write(name, GoodLine.Replace("\"a\"", $"\"{Path.GetFileNameWithoutExtension(name)}\"") + "\n");
        dir.Write("c.csv", "name,count,active,color\nc,1,true,red\n");

        async Task<string[]> Names(params string[] globs) =>
            (await IoTest.ReadAllAsync(Source.Files<Item>(globs), Codec)).Rows.Select(r => r.Name).ToArray();

        Assert.Equal(["a", "b"], await Names(dir["*.jsonl"]));
        Assert.Equal(["a", "b", "d", "e"], await Names(dir["**/*.jsonl"]));
        Assert.Equal(["a", "b", "c", "d", "e"], await Names(dir["**/*.{jsonl,csv}"]));
        Assert.Equal(["b", "a"], await Names(dir["b.jsonl"], dir["?.jsonl"]));  // argument order, no duplicates
        Assert.Equal(["d"], await Names(dir["s*/*.jsonl"]));
        Assert.Equal([".hidden"], await Names(dir[".*.jsonl"]));
    }

    [Fact]
    public void A_relative_glob_expands_to_relative_paths()
    {
        using var dir = new TempDir();
        dir.Write("data/in.jsonl", "{\n");
        string saved = Environment.CurrentDirectory;
        List<string> files;
        try
        {
            Environment.CurrentDirectory = dir.Root;
            files = PathGlob.Expand(["data/*.jsonl"]);
        }
        finally
        {
            Environment.CurrentDirectory = saved;
        }
        Assert.Equal([Path.Join("data", "in.jsonl")], files);
    }

    [Fact]
    public void A_glob_matching_nothing_fails_when_the_source_opens_naming_the_glob()
    {
        using var dir = new TempDir();
        var source = Source.JsonLines<Item>(dir["*.jsonl"]);
        var e = Assert.Throws<FileNotFoundException>(() => source.Open(new SourceContext<Item>(Codec)));
        Assert.Equal($"No files match '{dir["*.jsonl"]}'.", e.Message);

        var missingDir = Assert.Throws<FileNotFoundException>(() => Source.JsonLines<Item>(dir["nope/*.jsonl"]).Open(new SourceContext<Item>(Codec)));
        Assert.Contains("does not exist", missingDir.Message);
    }

    [Fact]
    public void A_missing_file_fails_when_the_source_opens_naming_the_file()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Source.Csv<Item>(dir["missing.csv"]).Open(new SourceContext<Item>(Codec)));
        Assert.Equal($"Input file '{dir["missing.csv"]}' does not exist.", e.Message);
    }

    [Fact]
    public void A_file_whose_format_cannot_be_told_from_its_extension_is_an_error()
    {
        using var dir = new TempDir();
        string path = dir.Write("in.txt", "");
        var e = Assert.Throws<NotSupportedException>(() => Source.Files<Item>(path).Open(new SourceContext<Item>(Codec)));
        Assert.Contains("in.txt", e.Message);
        Assert.Throws<NotSupportedException>(() => Sink.File<Item>(dir["out.json"]));
    }

    [Fact]
    public async Task Gzipped_JSON_Lines_and_CSV_files_are_decompressed()
    {
        using var dir = new TempDir();
        dir.WriteGzip("a.jsonl.gz", GoodLine + "\n");
        dir.WriteGzip("b.csv.gz", "name,count,active,color\nb,2,false,blue\n");
        dir.WriteGzip("c.ndjson.GZ", GoodLine.Replace("\"a\"", "\"c\""));
        var (rows, bad) = await IoTest.ReadAllAsync(Source.Files<Item>(dir["*.gz"], dir["*.GZ"]), Codec);
        Assert.Empty(bad);
        Assert.Equal(["a", "b", "c"], rows.Select(r => r.Name));
    }

    [Fact]
    public async Task A_damaged_gzip_file_fails_naming_it()
    {
        using var dir = new TempDir();
        string path = dir.WriteGzip("a.jsonl.gz", string.Concat(Enumerable.Repeat(GoodLine + "\n", 1000)));
        var bytes = File.ReadAllBytes(path);
        bytes[^6] ^= 0xFF; // the stored CRC-32 no longer matches the data
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => IoTest.ReadAllAsync(Source.JsonLines<Item>(path), Codec));
        Assert.StartsWith($"{path}: ", e.Message);
    }

    [Fact]
    public void Glob_wildcards_match_as_in_a_shell()
    {
        Assert.True(PathGlob.IsMatch("*.jsonl", "a.jsonl"));
        Assert.True(PathGlob.IsMatch("a*b*c", "aXXbYYbc"));
        Assert.True(PathGlob.IsMatch("?.csv", "x.csv"));
        Assert.False(PathGlob.IsMatch("?.csv", "xy.csv"));
        Assert.False(PathGlob.IsMatch("*.jsonl", "a.jsonl.gz"));
        Assert.False(PathGlob.IsMatch("*", ".hidden"));
        Assert.Equal(["a/x.csv", "a/y.jsonl", "b/x.csv", "b/y.jsonl"], PathGlob.ExpandBraces("{a,b}/{x.csv,y.jsonl}"));
    }
}
