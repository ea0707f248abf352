using System.IO.Compression;
using System.Text;
using Sluice;
using Xunit;

namespace Sluice.Warc.Tests;

public sealed record Capture(string Id, string Type, string? Url, DateTime Date, string? ContentType, long ContentLength, int? HttpStatus, Blob Body, string Text);
public sealed record CaptureOut(string Id, string Type, string? Url, DateTime Date, int? HttpStatus, int BodyBytes, string Text);

[Pipeline(typeof(Capture), typeof(CaptureOut))]
public static partial class Captures
{
    [Stage] static int BodyBytes(Blob body) => body.Length;
}

/// <summary>A web page's text, as TextQuality reads it: id, url, text.</summary>
public sealed record Page(string Id, string Url, string Text);
public sealed record PageOut(string Id, string Url, int Words);

[Pipeline(typeof(Page), typeof(PageOut))]
public static partial class Pages
{
    [Stage] static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}

public sealed class WarcTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-warc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Record(string type, string id, string? url, string contentType, byte[] block, string? extraHeader = null)
    {
        var head = new StringBuilder();
        head.Append("WARC/1.1\r\n");
        head.Append($"WARC-Type: {type}\r\n");
        head.Append($"WARC-Record-ID: <urn:uuid:{id}>\r\n");
        head.Append("WARC-Date: 2024-03-01T12:34:56Z\r\n");
        if (url is not null) head.Append($"WARC-Target-URI: {url}\r\n");
        head.Append($"Content-Type: {contentType}\r\n");
        if (extraHeader is not null) head.Append(extraHeader).Append("\r\n");
        else head.Append($"Content-Length: {block.Length}\r\n");
        head.Append("\r\n");
        return [.. Encoding.UTF8.GetBytes(head.ToString()), .. block, .. "\r\n\r\n"u8.ToArray()];
    }

    private static byte[] Response(int i) =>
        Record("response", $"r{i}", $"https://example.com/{i}", "application/http; msgtype=response",
               Encoding.UTF8.GetBytes($"HTTP/1.1 {(i % 5 == 0 ? 404 : 200)} OK\r\nContent-Type: text/html\r\n\r\n<p>page {i} words here</p>"));

    private static byte[] Conversion(int i) =>
        Record("conversion", $"c{i}", $"https://example.com/{i}", "text/plain", Encoding.UTF8.GetBytes($"page {i} has some plain text ünïcode"));

    private static byte[] Gzip(byte[] member)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(member);
        return ms.ToArray();
    }

    private List<byte[]> Records(int n) => Enumerable.Range(0, n).SelectMany(i => new[] { Response(i), Conversion(i) }).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Records_become_rows_with_their_headers_http_status_body_and_text(bool gzip)
    {
        var records = Records(50);
        string file = Path.Combine(_dir, gzip ? "crawl.warc.gz" : "crawl.warc");
        File.WriteAllBytes(file, gzip ? records.SelectMany(Gzip).ToArray() : records.SelectMany(r => r).ToArray());

        var rows = new List<CaptureOut>();
        var result = await Captures.Create().RunAsync(Source.Warc<Capture>(file), Sink.To(rows));
        Assert.Empty(result.FailureSamples);
        Assert.Equal(100, rows.Count);
        Assert.Equal(0, result.Metrics.BytesInFlight); // every block went back
        var r7 = rows.Single(r => r.Id == "<urn:uuid:r7>");
        Assert.Equal(("response", "https://example.com/7", new DateTime(2024, 3, 1, 12, 34, 56, DateTimeKind.Utc), (int?)200), (r7.Type, r7.Url, r7.Date, r7.HttpStatus));
        Assert.Equal("<p>page 7 words here</p>", r7.Text);                        // the HTTP body, without its headers
        Assert.Equal(Encoding.UTF8.GetByteCount(r7.Text), r7.BodyBytes);
        Assert.Equal(404, rows.Single(r => r.Id == "<urn:uuid:r10>").HttpStatus);
        var c3 = rows.Single(r => r.Id == "<urn:uuid:c3>");
        Assert.Equal(("conversion", (int?)null, "page 3 has some plain text ünïcode"), (c3.Type, c3.HttpStatus, c3.Text));

        // Only some types, through the record Page (id, url, text) as TextQuality reads pages.
        var pages = new List<PageOut>();
        await Pages.Create().RunAsync(Source.Warc<Page>(file, types: ["conversion"]), Sink.To(pages));
        Assert.Equal(50, pages.Count);
        Assert.All(pages, p => Assert.Equal(7, p.Words)); // "page N has some plain text ünïcode"
    }

    [Fact]
    public async Task A_damaged_record_is_one_bad_row_and_reading_resumes_at_the_next()
    {
        var records = Records(20);
        records[5] = Record("response", "bad-length", "https://example.com/x", "application/http", "HTTP/1.1 200 OK\r\n\r\nx"u8.ToArray(), extraHeader: "Content-Length: lots");
        records[9] = "garbage that is no record\r\nmore garbage\r\n"u8.ToArray();
        var bytes = records.SelectMany(r => r).ToList();
        // The file ends in the middle of the last record's block.
        var cut = bytes.Take(bytes.Count - 30).ToArray();
        string file = Path.Combine(_dir, "damaged.warc");
        File.WriteAllBytes(file, cut);

        var rows = new List<CaptureOut>();
        var result = await Captures.Create().RunAsync(Source.Warc<Capture>(file), Sink.To(rows));
        Assert.Equal(37, rows.Count); // 40 records less the bad one, the garbage and the cut one
        var messages = result.FailureSamples.Select(f => f.Message).ToList();
        Assert.Contains(messages, m => m.Contains("no valid Content-Length ('lots')") && m.Contains("bad-length"));
        Assert.Contains(messages, m => m.Contains("expected a WARC record ('WARC/1.0'), found 'garbage that is no record'"));
        Assert.Contains(messages, m => m.Contains("the block is cut short"));
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public async Task A_gzip_member_that_cannot_be_inflated_loses_its_records_and_reading_resumes_at_the_next_member()
    {
        var members = Records(30).Select(Gzip).ToList();
        var broken = (byte[])members[12].Clone();
        for (int k = 12; k < broken.Length - 12; k++) broken[k] ^= 0x5A; // the deflate data, not the header
        members[12] = broken;
        string file = Path.Combine(_dir, "broken.warc.gz");
        File.WriteAllBytes(file, members.SelectMany(m => m).ToArray());

        var rows = new List<CaptureOut>();
        var result = await Captures.Create().RunAsync(Source.Warc<Capture>(file), Sink.To(rows));
        Assert.Contains(result.FailureSamples, f => f.Message.Contains("a gzip member cannot be inflated"));
        // The broken member's record is lost, and at most the few members the inflater had read ahead with it.
        Assert.InRange(rows.Count, 50, 59);
        Assert.Contains(rows, r => r.Id == "<urn:uuid:c29>");   // the last record is read
        Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count()); // and none twice
    }
}
