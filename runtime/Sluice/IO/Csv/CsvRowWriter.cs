using System.Buffers;

namespace Sluice;

// Writes the fields of one CSV row into the sink's buffer. A field is quoted only when it must be
// (it holds a comma, a quote or a line break); numbers and dates never need it. Values format in the
// invariant culture; null writes an empty field; arrays write their values separated by spaces.
// Rows end with LF, not RFC 4180's CRLF: the common choice on Unix, and every reader (ours too) takes both.
public sealed partial class CsvRowWriter
{
    private static readonly SearchValues<byte> s_special = SearchValues.Create(",\"\r\n"u8);

    private readonly ByteBuffer _output;
    private readonly string[] _columns;
    private int _field;
    private int _rowStart;

    internal CsvRowWriter(ByteBuffer output, string[] columns)
    {
        _output = output;
        _columns = columns;
    }

    internal void WriteHeader()
    {
        BeginRow();
        foreach (var name in _columns)
        {
            int start = BeginField();
            ColumnText.FormatString(name, _output);
            EndField(start);
        }
        EndRow();
    }

    internal void BeginRow()
    {
        _field = 0;
        _rowStart = _output.Length;
    }

    internal void EndRow()
    {
        if (_field != _columns.Length)
            throw new InvalidOperationException($"The CSV codec wrote {_field} fields in a row of {_columns.Length} columns.");
        // A lone empty field would be a blank line, which readers skip: write it as "".
        if (_columns.Length == 1 && _output.Length == _rowStart) _output.Write("\"\""u8);
        _output.Write((byte)'\n');
    }

    public partial void Write<T>(T value)
    {
        int start = BeginField();
        ColumnText.Format(value, _output);
        EndField(start);
    }

    public partial void WriteEnum<T>(T value) where T : struct, Enum
    {
        int start = BeginField();
        ColumnText.FormatEnum(value, _output);
        EndField(start);
    }

    public partial void WriteArray<T>(T[]? values)
    {
        int start = BeginField();
        if (values is not null)
        {
            // Only text items can hold the separator; numbers and dates never do.
            bool isText = typeof(T) == typeof(string) || ColumnValue.EnumType<T>() is not null;
            for (int i = 0; i < values.Length; i++)
            {
                if (i > 0) _output.Write((byte)' ');
                int item = _output.Length;
                ColumnText.Format(values[i], _output);
                if (isText)
                {
                    var text = _output.WrittenSpan[item..];
                    if (text.IsEmpty || text.IndexOfAny((byte)' ', (byte)'\t') >= 0)
                        throw new RowFormatException(_columns[_field - 1],
                            "holds an empty array item or one with spaces, which CSV cannot keep (array items are separated by spaces)");
                }
            }
        }
        EndField(start);
    }

    private int BeginField()
    {
        if (_field == _columns.Length)
            throw new InvalidOperationException($"The CSV codec wrote more fields than the row's {_columns.Length} columns.");
        if (_field++ > 0) _output.Write((byte)',');
        return _output.Length;
    }

    private void EndField(int start)
    {
        var text = _output.WrittenSpan[start..];
        if (text.IndexOfAny(s_special) < 0) return;

        // Rare: quote the field in place, doubling its quotes.
        byte[] copy = ArrayPool<byte>.Shared.Rent(text.Length);
        int length = text.Length;
        text.CopyTo(copy);
        _output.Truncate(start);
        _output.Write((byte)'"');
        var rest = copy.AsSpan(0, length);
        while (true)
        {
            int quote = rest.IndexOf((byte)'"');
            if (quote < 0) { _output.Write(rest); break; }
            _output.Write(rest[..(quote + 1)]);
            _output.Write((byte)'"');
            rest = rest[(quote + 1)..];
        }
        _output.Write((byte)'"');
        ArrayPool<byte>.Shared.Return(copy);
    }
}
