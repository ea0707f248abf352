using System.Text.Json;

namespace Sluice;

/// <summary>
/// Typed conversions of one column value to and from JSON and CSV text, called by generated codecs.
/// Supported scalar types: string, bool, byte, short, int, long, uint, ulong, float, double, decimal,
/// DateTime, DateTimeOffset, Guid, their Nullable forms, enums (by name) and arrays of scalars.
/// </summary>
public static partial class ColumnValue
{
    /// <summary>Reads a scalar (or Nullable scalar, or string) at the reader's current token. Throws <see cref="RowFormatException"/> naming <paramref name="column"/> on a mistyped value.</summary>
    public static partial T ReadJson<T>(ref Utf8JsonReader reader, string column);

    /// <summary>Reads an enum (string name, case-insensitive, or number) at the reader's current token.</summary>
    public static partial T ReadJsonEnum<T>(ref Utf8JsonReader reader, string column) where T : struct, Enum;

    /// <summary>Reads a JSON array of scalars (null gives null).</summary>
    public static partial T[]? ReadJsonArray<T>(ref Utf8JsonReader reader, string column);

    /// <summary>Writes a property with a scalar value.</summary>
    public static partial void WriteJson<T>(Utf8JsonWriter writer, string name, T value);

    /// <summary>Writes a property with an enum value (its name).</summary>
    public static partial void WriteJsonEnum<T>(Utf8JsonWriter writer, string name, T value) where T : struct, Enum;

    /// <summary>Writes a property with an array of scalars.</summary>
    public static partial void WriteJsonArray<T>(Utf8JsonWriter writer, string name, T[]? values);

    /// <summary>
    /// A value read for a <c>[FixedSize(size)]</c> column: <paramref name="values"/> when it is null or has
    /// <paramref name="size"/> items; else throws <see cref="RowFormatException"/> naming the column and both lengths.
    /// </summary>
    public static T[]? FixedSize<T>(T[]? values, int size, string column) =>
        WrongSize(values, size) ? throw RowFormatException.WrongLength(column, size, values!.Length) : values;

    /// <summary>Whether <paramref name="values"/> is an array of another length than <paramref name="size"/> (null is not).</summary>
    public static bool WrongSize<T>(T[]? values, int size) => values is not null && values.Length != size;
}

/// <summary>One CSV data row whose fields were mapped to a codec's column order (from the header).</summary>
public sealed partial class CsvRow
{
    /// <summary>Parses the field of column <paramref name="ordinal"/> (codec column order) as a scalar. Throws <see cref="RowFormatException"/> naming the column.</summary>
    public partial T Get<T>(int ordinal);

    /// <summary>Parses an enum field by name.</summary>
    public partial T GetEnum<T>(int ordinal) where T : struct, Enum;

    /// <summary>Parses an array field (values separated by spaces).</summary>
    public partial T[]? GetArray<T>(int ordinal);
}

/// <summary>Writes one CSV row field by field in codec column order (quoting as RFC 4180 requires).</summary>
public sealed partial class CsvRowWriter
{
    /// <summary>Writes the next field.</summary>
    public partial void Write<T>(T value);

    /// <summary>Writes an enum field by name.</summary>
    public partial void WriteEnum<T>(T value) where T : struct, Enum;

    /// <summary>Writes an array field (values separated by spaces).</summary>
    public partial void WriteArray<T>(T[]? values);
}
