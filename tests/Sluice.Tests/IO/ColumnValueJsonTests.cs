using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice;
using Xunit;

namespace Sluice.Tests.IO;

public class ColumnValueJsonTests
{
    private static string WriteObject<T>(T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            ColumnValue.WriteJson(writer, "v", value);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static T ReadValue<T>(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read(); // {
        reader.Read(); // "v"
        reader.Read(); // the value
        return ColumnValue.ReadJson<T>(ref reader, "v");
    }

    private static void AssertRoundTrip<T>(T value)
    {
        string json = WriteObject(value);
        using (JsonDocument.Parse(json)) { } // valid JSON for an independent reader
        Assert.Equal(value, ReadValue<T>(json));
    }

    private static T[]? ArrayRoundTrip<T>(T[]? values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            ColumnValue.WriteJsonArray(writer, "v", values);
            writer.WriteEndObject();
        }
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        reader.Read();
        reader.Read();
        reader.Read();
        return ColumnValue.ReadJsonArray<T>(ref reader, "v");
    }

    private static RowFormatException Mistyped<T>(string json) =>
        Assert.Throws<RowFormatException>(() => ReadValue<T>(json));

    [Fact]
    public void Every_supported_scalar_type_and_its_nullable_form_round_trips()
    {
        AssertRoundTrip("plain");
        AssertRoundTrip("");
        AssertRoundTrip("quote \" backslash \\ newline \n tab \t control \u0001");
        AssertRoundTrip("unicode é 日本語 🚀 \u2028");
        AssertRoundTrip<string?>(null);
        AssertRoundTrip(true);
        AssertRoundTrip(false);
        AssertRoundTrip(byte.MaxValue);
        AssertRoundTrip(short.MinValue);
        AssertRoundTrip(int.MinValue);
        AssertRoundTrip(long.MaxValue);
        AssertRoundTrip(uint.MaxValue);
        AssertRoundTrip(ulong.MaxValue);
        AssertRoundTrip(0.1f);
        AssertRoundTrip(float.MaxValue);
        AssertRoundTrip(float.Epsilon);
        AssertRoundTrip(0.1);
        AssertRoundTrip(Math.PI);
        AssertRoundTrip(double.MaxValue);
        AssertRoundTrip(double.Epsilon);
        AssertRoundTrip(-1e-300);
        AssertRoundTrip(decimal.MaxValue);
        AssertRoundTrip(-0.0001m);
        AssertRoundTrip(new DateTime(2024, 2, 29, 13, 45, 6, DateTimeKind.Utc).AddTicks(1234567));
        AssertRoundTrip(new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Unspecified));
        AssertRoundTrip(new DateTimeOffset(2024, 2, 29, 13, 45, 6, TimeSpan.FromMinutes(330)));
        AssertRoundTrip(Guid.NewGuid());

        AssertRoundTrip<bool?>(true);
        AssertRoundTrip<bool?>(null);
        AssertRoundTrip<byte?>(7);
        AssertRoundTrip<byte?>(null);
        AssertRoundTrip<short?>(-7);
        AssertRoundTrip<short?>(null);
        AssertRoundTrip<int?>(42);
        AssertRoundTrip<int?>(null);
        AssertRoundTrip<long?>(long.MinValue);
        AssertRoundTrip<long?>(null);
        AssertRoundTrip<uint?>(3);
        AssertRoundTrip<uint?>(null);
        AssertRoundTrip<ulong?>(3);
        AssertRoundTrip<ulong?>(null);
        AssertRoundTrip<float?>(2.5f);
        AssertRoundTrip<float?>(null);
        AssertRoundTrip<double?>(2.5);
        AssertRoundTrip<double?>(null);
        AssertRoundTrip<decimal?>(2.5m);
        AssertRoundTrip<decimal?>(null);
        AssertRoundTrip<DateTime?>(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        AssertRoundTrip<DateTime?>(null);
        AssertRoundTrip<DateTimeOffset?>(DateTimeOffset.UnixEpoch);
        AssertRoundTrip<DateTimeOffset?>(null);
        AssertRoundTrip<Guid?>(Guid.Empty);
        AssertRoundTrip<Guid?>(null);
    }

    [Fact]
    public void Enums_and_nullable_enums_round_trip_by_name()
    {
        AssertRoundTrip(Color.Blue);
        AssertRoundTrip<Color?>(Color.Green);
        AssertRoundTrip<Color?>(null);
        Assert.Equal("""{"v":"Blue"}""", WriteObject(Color.Blue));
    }

    [Fact]
    public void Arrays_of_scalars_round_trip_and_null_stays_null()
    {
        Assert.Equal(new uint[] { 1, 0, uint.MaxValue }, ArrayRoundTrip(new uint[] { 1, 0, uint.MaxValue }));
        Assert.Equal(new string?[] { "a", "", "b c", null }, ArrayRoundTrip(new string?[] { "a", "", "b c", null }));
        Assert.Equal(new double?[] { 1.5, null }, ArrayRoundTrip(new double?[] { 1.5, null }));
        Assert.Equal(new[] { Color.Green, Color.Red }, ArrayRoundTrip(new[] { Color.Green, Color.Red }));
        Assert.Empty(ArrayRoundTrip(Array.Empty<int>())!);
        Assert.Equal(Enumerable.Range(0, 100).ToArray(), ArrayRoundTrip(Enumerable.Range(0, 100).ToArray()));
        Assert.Null(ArrayRoundTrip<int>(null));
    }

    [Fact]
    public void Numbers_are_written_as_JSON_numbers_in_their_shortest_round_trip_form()
    {
        Assert.Equal("""{"v":0.1}""", WriteObject(0.1));
        Assert.Equal("""{"v":0.1}""", WriteObject(0.1f));
        Assert.Equal("""{"v":18446744073709551615}""", WriteObject(ulong.MaxValue));
        Assert.Equal("""{"v":-1.50}""", WriteObject(-1.50m));
        Assert.Equal("""{"v":true}""", WriteObject(true));
        Assert.Equal("""{"v":null}""", WriteObject<int?>(null));
    }

    [Fact]
    public void Non_finite_floats_are_written_as_named_strings_and_read_back()
    {
        Assert.Equal("""{"v":"NaN"}""", WriteObject(double.NaN));
        Assert.Equal("""{"v":"-Infinity"}""", WriteObject(float.NegativeInfinity));
        Assert.True(double.IsNaN(ReadValue<double>("""{"v":"NaN"}""")));
        Assert.Equal(double.PositiveInfinity, ReadValue<double?>("""{"v":"Infinity"}"""));
        Assert.Equal(float.NegativeInfinity, ReadValue<float>("""{"v":"-Infinity"}"""));
    }

    [Fact]
    public void A_mistyped_value_names_the_column_the_expected_type_and_what_was_found()
    {
        Assert.Equal("column 'v': expects Int32 but found String \"abc\"", Mistyped<int>("""{"v":"abc"}""").Message);
        Assert.Equal("v", Mistyped<int>("""{"v":"abc"}""").Column);
        Assert.Equal("column 'v': expects Int32 but found Number 1.5", Mistyped<int>("""{"v":1.5}""").Message);
        Assert.Equal("column 'v': expects Byte but found Number 300", Mistyped<byte>("""{"v":300}""").Message);
        Assert.Equal("column 'v': expects Int32 or null but found Boolean true", Mistyped<int?>("""{"v":true}""").Message);
        Assert.Equal("column 'v': expects Int32 but found null", Mistyped<int>("""{"v":null}""").Message);
        Assert.Equal("column 'v': expects String but found Number 12", Mistyped<string>("""{"v":12}""").Message);
        Assert.Equal("column 'v': expects Guid but found String \"nope\"", Mistyped<Guid>("""{"v":"nope"}""").Message);
        Assert.Equal("column 'v': expects Boolean but found an object", Mistyped<bool>("""{"v":{"a":1}}""").Message);
        Assert.Equal("column 'v': expects Color but found String \"Purple\"", Mistyped<Color>("""{"v":"Purple"}""").Message);
    }

    [Fact]
    public void A_long_mistyped_value_is_shortened_in_the_message()
    {
        string message = Mistyped<int>($$"""{"v":"{{new string('x', 500)}}"}""").Message;
        Assert.True(message.Length < 100, message);
        Assert.EndsWith("…\"", message);
    }

    [Fact]
    public void Enum_names_read_ignoring_case_and_numbers_are_accepted()
    {
        var reader = new Utf8JsonReader("""["green", "BLUE", 0, "Red"]"""u8);
        reader.Read();
        var read = new List<Color>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) read.Add(ColumnValue.ReadJsonEnum<Color>(ref reader, "c"));
        Assert.Equal([Color.Green, Color.Blue, Color.Red, Color.Red], read);
    }

    [Fact]
    public void Escaped_strings_and_enum_names_are_unescaped()
    {
        Assert.Equal("é\"", ReadValue<string>("""{"v":"\u00e9\""}"""));
        var reader = new Utf8JsonReader("""["Bl\u0075e"]"""u8);
        reader.Read();
        reader.Read();
        Assert.Equal(Color.Blue, ColumnValue.ReadJsonEnum<Color>(ref reader, "c"));
    }

    [Fact]
    public void An_unsupported_type_throws_NotSupportedException_naming_it()
    {
        var e = Assert.Throws<NotSupportedException>(() => ReadValue<TimeSpan>("""{"v":"00:01:00"}"""));
        Assert.Contains("System.TimeSpan", e.Message);
        Assert.Throws<NotSupportedException>(() => WriteObject(new object()));
    }

    [Fact]
    public void Property_names_match_ignoring_case_even_when_escaped()
    {
        var reader = new Utf8JsonReader("""{"Label":1,"L\u0041BEL":2,"Lab":3}"""u8);
        reader.Read();
        var matches = new List<bool>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            matches.Add(ColumnValue.IsProperty(ref reader, "label"u8));
            reader.Read();
        }
        Assert.Equal([true, true, false], matches);
    }
}
