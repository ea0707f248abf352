namespace Sluice;

// A data row of a CSV file, seen through the codec's column order: the reader maps each codec column to
// a header field once per file. An optional column the header lacks reads as default (null for string
// and arrays). Field text converts in the invariant culture: an empty field is null for Nullable types
// and "" for string; an array field holds its values separated by spaces (an empty field is an empty array).
public sealed partial class CsvRow
{
    private readonly CsvRecord _record;
    private readonly int[] _fieldOf;
    private readonly string[] _columns;

    /// <param name="record">The parsed record whose fields this row reads (reused for each row of a file).</param>
    /// <param name="fieldOf">For each codec column, its field index in the file, or -1 when the header lacks it.</param>
    /// <param name="columns">The codec's column names, for errors.</param>
    internal CsvRow(CsvRecord record, int[] fieldOf, string[] columns)
    {
        _record = record;
        _fieldOf = fieldOf;
        _columns = columns;
    }

    public partial T Get<T>(int ordinal)
    {
        int field = _fieldOf[ordinal];
        return field < 0 ? default! : ColumnText.Parse<T>(_record.Field(field), _columns[ordinal]);
    }

    public partial T GetEnum<T>(int ordinal) where T : struct, Enum
    {
        int field = _fieldOf[ordinal];
        return field < 0 ? default : ColumnText.ParseEnum<T>(_record.Field(field), _columns[ordinal]);
    }

    public partial T[]? GetArray<T>(int ordinal)
    {
        int field = _fieldOf[ordinal];
        if (field < 0) return null;
        var text = _record.Field(field).Trim(" \t"u8);
        if (text.IsEmpty) return Array.Empty<T>();

        int count = 1;
        for (int i = 1; i < text.Length; i++)
            if (text[i] == (byte)' ' && text[i - 1] != (byte)' ') count++;
        var values = new T[count];
        int n = 0;
        while (!text.IsEmpty)
        {
            int space = text.IndexOf((byte)' ');
            var item = space < 0 ? text : text[..space];
            values[n++] = ColumnText.Parse<T>(item, _columns[ordinal]);
            text = space < 0 ? default : text[(space + 1)..].TrimStart((byte)' ');
        }
        return values;
    }
}
