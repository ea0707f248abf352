using System.Text;
using Sluice;
using Xunit;

namespace Sluice.Tests.IO;

public class CsvTests
{
    private static string Format<T>(T value)
    {
        var buffer = new ByteBuffer();
        var writer = new CsvRowWriter(buffer, ["v"]);
        writer.BeginRow();
        writer.Write(value);
        writer.EndRow();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static CsvRow Row(string line, out CsvRecord record)
    {
        record = new CsvRecord();
        Assert.Equal(CsvRecord.Status.Complete, record.Parse(Encoding.UTF8.GetBytes(line), true, out _, out _, out _));
        return new CsvRow(record, Enumerable.Range(0, record.Count).ToArray(), Enumerable.Range(0, record.Count).Select(i => $"c{i}").ToArray());
    }

    private static T Parse<T>(string line) => Row(line, out _).Get<T>(0);

    private static void AssertRoundTrip<T>(T value) => Assert.Equal(value, Parse<T>(Format(value)));

    private static List<string[]> Records(string text, bool final = true)
    {
        var record = new CsvRecord();
        var bytes = Encoding.UTF8.GetBytes(text).AsSpan();
        var records = new List<string[]>();
        while (!bytes.IsEmpty)
        {
            var status = record.Parse(bytes, final, out int used, out _, out _);
            if (status == CsvRecord.Status.NeedMore) break;
            Assert.Equal(CsvRecord.Status.Complete, status);
            records.Add(Enumerable.Range(0, record.Count).Select(i => Encoding.UTF8.GetString(record.Field(i))).ToArray());
            bytes = bytes[used..];
        }
        return records;
    }

    [Fact]
    public void Every_supported_scalar_type_and_its_nullable_form_round_trips()
    {
        AssertRoundTrip("plain");
        AssertRoundTrip("comma, \"quotes\" and\r\nline breaks");
        AssertRoundTrip("unicode é 日本語 🚀");
        AssertRoundTrip(" spaces kept ");
        AssertRoundTrip(true);
        AssertRoundTrip(byte.MaxValue);
        AssertRoundTrip(short.MinValue);
        AssertRoundTrip(int.MinValue);
        AssertRoundTrip(long.MaxValue);
        AssertRoundTrip(uint.MaxValue);
        AssertRoundTrip(ulong.MaxValue);
        AssertRoundTrip(0.1f);
        AssertRoundTrip(float.MinValue);
        AssertRoundTrip(0.1);
        AssertRoundTrip(double.MaxValue);
        AssertRoundTrip(double.NaN);
        AssertRoundTrip(double.NegativeInfinity);
        AssertRoundTrip(decimal.MinValue);
        AssertRoundTrip(new DateTime(2024, 2, 29, 13, 45, 6, DateTimeKind.Utc).AddTicks(1234567));
        AssertRoundTrip(new DateTimeOffset(2024, 2, 29, 13, 45, 6, TimeSpan.FromHours(-8)));
        AssertRoundTrip(Guid.NewGuid());
        AssertRoundTrip(Color.Blue);
        AssertRoundTrip<int?>(5);
        AssertRoundTrip<int?>(null);
        AssertRoundTrip<double?>(null);
        AssertRoundTrip<bool?>(null);
        AssertRoundTrip<decimal?>(1.25m);
        AssertRoundTrip<DateTime?>(null);
        AssertRoundTrip<Guid?>(null);
        AssertRoundTrip<Color?>(Color.Green);
        AssertRoundTrip<Color?>(null);
        Assert.Equal(DateTimeKind.Utc, Parse<DateTime>(Format(DateTime.UtcNow)).Kind);
    }

    [Fact]
    public void An_empty_field_is_null_for_nullable_types_and_empty_for_strings()
    {
        Assert.Null(Parse<int?>(",x"));
        Assert.Null(Parse<DateTimeOffset?>(",x"));
        Assert.Equal("", Parse<string>(",x"));
        Assert.Equal("", Parse<string>("\"\",x"));
    }

    [Fact]
    public void Fields_are_quoted_only_when_they_need_it()
    {
        Assert.Equal("plain\n", Format("plain"));
        Assert.Equal("\"a,b\"\n", Format("a,b"));
        Assert.Equal("\"say \"\"hi\"\"\"\n", Format("say \"hi\""));
        Assert.Equal("\"two\nlines\"\n", Format("two\nlines"));
        Assert.Equal("\"\"\n", Format("")); // a lone empty field must not become a blank line
        Assert.Equal("-1.5\n", Format(-1.5));
        Assert.Equal("Blue\n", Format(Color.Blue));
    }

    [Fact]
    public void Records_split_on_commas_with_quotes_doubled_quotes_and_embedded_line_breaks()
    {
        var records = Records("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\rlast,\"\"");
        Assert.Equal(
            new[] { new[] { "a", "b,c", "say \"hi\"" }, ["multi\nline", "", "x"], ["last", ""] },
            records);
    }

    [Fact]
    public void A_record_cut_by_the_end_of_the_buffer_asks_for_more_input()
    {
        Assert.Empty(Records("a,\"open", final: false));
        Assert.Empty(Records("a,b", final: false));
        Assert.Empty(Records("a,\"b\"", final: false)); // the next byte may be a doubled quote
        Assert.Empty(Records("a,b\r", final: false));   // the next byte may be \n
        Assert.Single(Records("a,b\n", final: false));
    }

    [Fact]
    public void A_quoted_field_counts_its_line_breaks()
    {
        var record = new CsvRecord();
        record.Parse("\"a\nb\nc\",d\ne"u8, true, out int used, out int lineEnds, out _);
        Assert.Equal(3, lineEnds);
        Assert.Equal(10, used);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_malformed_up_to_the_line_end()
    {
        var record = new CsvRecord();
        var status = record.Parse("\"a\"b,c\nnext"u8, true, out int used, out _, out string? error);
        Assert.Equal(CsvRecord.Status.Malformed, status);
        Assert.Equal(7, used);
        Assert.Contains("after the closing quote", error);
    }

    [Fact]
    public void A_mistyped_field_names_the_column_and_the_text()
    {
        var e = Assert.Throws<RowFormatException>(() => Parse<int>("abc"));
        Assert.Equal("column 'c0': expects Int32 but found \"abc\"", e.Message);
        Assert.Equal("column 'c0': expects Int32 but found an empty field", Assert.Throws<RowFormatException>(() => Parse<int>(",")).Message);
        Assert.Equal("column 'c0': expects Color but found \"Purple\"", Assert.Throws<RowFormatException>(() => Row("Purple", out _).GetEnum<Color>(0)).Message);
    }

    [Fact]
    public void Numbers_parse_in_the_invariant_culture_whatever_the_current_one()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal(1.5, Parse<double>("1.5"));
            Assert.Equal("1.5\n", Format(1.5));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Arrays_are_space_separated_values_in_one_field()
    {
        var buffer = new ByteBuffer();
        var writer = new CsvRowWriter(buffer, ["a", "b", "c"]);
        writer.BeginRow();
        writer.WriteArray(new uint[] { 1, 2, 3 });
        writer.WriteArray(new[] { Color.Red, Color.Blue });
        writer.WriteArray<double>(null);
        writer.EndRow();
        Assert.Equal("1 2 3,Red Blue,\n", Encoding.UTF8.GetString(buffer.WrittenSpan));

        var row = Row("1 2  3,Red blue,", out _);
        Assert.Equal(new uint[] { 1, 2, 3 }, row.GetArray<uint>(0));
        Assert.Equal(new[] { Color.Red, Color.Blue }, row.GetArray<Color>(1));
        Assert.Empty(row.GetArray<double>(2)!);
    }

    [Fact]
    public void A_string_array_item_with_a_space_cannot_be_written()
    {
        var writer = new CsvRowWriter(new ByteBuffer(), ["tags"]);
        writer.BeginRow();
        var e = Assert.Throws<RowFormatException>(() => writer.WriteArray(new[] { "ok", "not ok" }));
        Assert.Equal("tags", e.Column);
    }

    [Fact]
    public void A_codec_that_writes_the_wrong_number_of_fields_is_an_error()
    {
        var writer = new CsvRowWriter(new ByteBuffer(), ["a", "b"]);
        writer.BeginRow();
        writer.Write(1);
        Assert.Throws<InvalidOperationException>(writer.EndRow);
    }
}
