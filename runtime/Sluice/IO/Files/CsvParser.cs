using System.Text;

namespace Sluice;

/// <summary>
/// CSV with a header row: the header maps the codec's columns to fields once per file (names match
/// ignoring case and surrounding spaces). A required column missing from the header fails the run with
/// one error naming the file, the line and the columns; a data row whose field count differs from the
/// header's, or that does not parse, is a bad row. Blank lines are skipped.
/// </summary>
internal sealed class CsvParser<T>(SourceContext<T> context, RowCodec<T> codec) : RowParser<T>(context, codec)
{
    private readonly CsvRecord _record = new();
    private readonly string[] _columns = codec.Columns.Select(c => c.Name).ToArray();
    private CsvRow? _row;
    private int _headerCount;

    public override void StartFile(string path)
    {
        base.StartFile(path);
        _row = null;
    }

    public override int Parse(ReadOnlySpan<byte> data, bool final, Span<T> rows, out int consumed)
    {
        int n = 0, pos = 0;
        while (n < rows.Length && pos < data.Length)
        {
            var status = _record.Parse(data[pos..], final, out int used, out int lineEnds, out string? error);
            if (status == CsvRecord.Status.NeedMore) break;
            var raw = data.Slice(pos, used);
            long lineNumber = Line;
            Line += lineEnds;
            pos += used;

            if (status == CsvRecord.Status.Malformed)
            {
                if (_row is null) throw new InvalidDataException($"{Location(lineNumber)}: the CSV header is malformed: {error}.");
                Context.BadRow(Location(lineNumber), error!, RawText(raw));
                continue;
            }
            if (_record.IsBlank) continue;
            if (_row is null)
            {
                _row = MapHeader(lineNumber);
                continue;
            }
            if (_record.Count != _headerCount)
            {
                Context.BadRow(Location(lineNumber), $"has {_record.Count} fields but the header has {_headerCount}", RawText(raw));
                continue;
            }

            string? message = null;
            try
            {
                rows[n] = Codec.ReadCsv(_row);
                n++;
            }
            catch (FormatException e)
            {
                message = e.Message;
            }
            if (message is not null) Context.BadRow(Location(lineNumber), message, RawText(raw));
        }
        consumed = pos;
        return n;
    }

    private CsvRow MapHeader(long lineNumber)
    {
        _headerCount = _record.Count;
        var names = new string[_record.Count];
        for (int i = 0; i < names.Length; i++) names[i] = Encoding.UTF8.GetString(_record.Field(i)).Trim();

        var fieldOf = new int[_columns.Length];
        var missing = new List<string>();
        for (int c = 0; c < _columns.Length; c++)
        {
            fieldOf[c] = Array.FindIndex(names, n => string.Equals(n, _columns[c], StringComparison.OrdinalIgnoreCase));
            if (fieldOf[c] < 0 && Codec.Columns[c].Required) missing.Add($"'{_columns[c]}'");
        }
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"{Location(lineNumber)}: the CSV header has no column {string.Join(", ", missing)} (required by {typeof(T).Name}); " +
                $"its columns are: {string.Join(", ", names)}.");
        return new CsvRow(_record, fieldOf, _columns);
    }

    private static string RawText(ReadOnlySpan<byte> record)
    {
        var text = record.TrimEnd("\r\n"u8);
        return Encoding.UTF8.GetString(text);
    }
}
