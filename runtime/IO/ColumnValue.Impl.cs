// TEMPORARY stub bodies: the IO work replaces this file with the real conversions.
using System.Text.Json;

namespace Sluice;

public static partial class ColumnValue
{
    public static partial T ReadJson<T>(ref Utf8JsonReader reader, string column) => throw new NotImplementedException();
    public static partial T ReadJsonEnum<T>(ref Utf8JsonReader reader, string column) where T : struct, Enum => throw new NotImplementedException();
    public static partial T[]? ReadJsonArray<T>(ref Utf8JsonReader reader, string column) => throw new NotImplementedException();
    public static partial void WriteJson<T>(Utf8JsonWriter writer, string name, T value) => throw new NotImplementedException();
    public static partial void WriteJsonEnum<T>(Utf8JsonWriter writer, string name, T value) where T : struct, Enum => throw new NotImplementedException();
    public static partial void WriteJsonArray<T>(Utf8JsonWriter writer, string name, T[]? values) => throw new NotImplementedException();
}

public sealed partial class CsvRow
{
    public partial T Get<T>(int ordinal) => throw new NotImplementedException();
    public partial T GetEnum<T>(int ordinal) where T : struct, Enum => throw new NotImplementedException();
    public partial T[]? GetArray<T>(int ordinal) => throw new NotImplementedException();
}

public sealed partial class CsvRowWriter
{
    public partial void Write<T>(T value) => throw new NotImplementedException();
    public partial void WriteEnum<T>(T value) where T : struct, Enum => throw new NotImplementedException();
    public partial void WriteArray<T>(T[]? values) => throw new NotImplementedException();
}
