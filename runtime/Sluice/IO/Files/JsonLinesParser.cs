using System.Text;
using System.Text.Json;

namespace Sluice;

/// <summary>
/// JSON Lines: one JSON object per line, parsed with <see cref="Utf8JsonReader"/> straight over the line's
/// bytes in the read buffer. Blank lines are skipped. Per row, the only allocations are the row and its
/// column values (strings, arrays); a bad row also allocates its location and raw text.
/// </summary>
internal sealed class JsonLinesParser<T>(SourceContext<T> context, RowCodec<T> codec) : RowParser<T>(context, codec)
{
    public override int Parse(ReadOnlySpan<byte> data, bool final, Span<T> rows, out int consumed)
    {
        int n = 0, pos = 0;
        while (n < rows.Length && pos < data.Length)
        {
            int newline = data[pos..].IndexOf((byte)'\n');
            if (newline < 0 && !final) break;
            var line = newline < 0 ? data[pos..] : data.Slice(pos, newline);
            pos = newline < 0 ? data.Length : pos + newline + 1;
            long lineNumber = Line++;
            if (line.IndexOfAnyExcept(" \t\r"u8) < 0) continue;
            if (line[^1] == (byte)'\r') line = line[..^1];

            string? error = null;
            try
            {
                rows[n] = ParseLine(line);
                n++;
            }
            catch (JsonException e)
            {
                error = "invalid JSON: " + Describe(e);
            }
            catch (FormatException e)
            {
                error = e.Message; // RowFormatException: "column 'x': expects ..."
            }
            if (error is not null) Context.BadRow(Location(lineNumber), error, Encoding.UTF8.GetString(line));
        }
        consumed = pos;
        return n;
    }

    private T ParseLine(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new FormatException($"expects a JSON object but found {ColumnValue.Describe(ref reader)}");
        var row = Codec.ReadJson(ref reader);
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0)
            throw new InvalidOperationException($"The row codec of {typeof(T).Name} did not read its JSON object to the end.");
        if (reader.Read()) // throws on text after the object; returns false at the end of the line
            throw new FormatException("has more than one JSON value on the line");
        return row;
    }

    // The reader's messages end with "LineNumber: 0 | BytePositionInLine: 17."; on one line only the byte matters.
    private static string Describe(JsonException e)
    {
        string message = e.Message;
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (at >= 0) message = message[..at].TrimEnd();
        return e.BytePositionInLine is long b ? $"{message} (at byte {b + 1})" : message;
    }
}
