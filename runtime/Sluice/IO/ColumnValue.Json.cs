using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Sluice;

// JSON conversions of column values. Each generic method tests typeof(T) against the supported types:
// for a value type T the JIT compiles a body of its own in which every test but one folds away, so a
// call costs what a direct call to the matching reader would. Reference-type T (string) shares one body
// where the tests are cheap runtime comparisons.
//
// Enums outside ReadJsonEnum/WriteJsonEnum (Nullable enums, enum arrays) take a slower path through the
// non-generic Enum API that boxes each value: the fixed signatures give no way to reach a generic one.
public static partial class ColumnValue
{
    /// <summary>
    /// Whether the reader's current property name equals <paramref name="utf8Name"/> ignoring ASCII case,
    /// the way columns match JSON properties. Allocates only for escaped names.
    /// </summary>
    public static bool IsProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8Name)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
            return Ascii.EqualsIgnoreCase(reader.ValueSpan, utf8Name);
        string name = reader.GetString()!;
        Span<byte> buffer = stackalloc byte[256];
        if (Encoding.UTF8.GetMaxByteCount(name.Length) > buffer.Length) buffer = new byte[Encoding.UTF8.GetMaxByteCount(name.Length)];
        int n = Encoding.UTF8.GetBytes(name, buffer);
        return Ascii.EqualsIgnoreCase(buffer[..n], utf8Name);
    }

    public static partial T ReadJson<T>(ref Utf8JsonReader reader, string column)
    {
        if (typeof(T) == typeof(string)) return As<string?, T>(ReadString(ref reader, column));
        if (typeof(T) == typeof(Blob)) return As<Blob?, T>(ReadBlob(ref reader, column));
        if (typeof(T) == typeof(int)) return As<int, T>(ReadInt32(ref reader, column, false));
        if (typeof(T) == typeof(long)) return As<long, T>(ReadInt64(ref reader, column, false));
        if (typeof(T) == typeof(double)) return As<double, T>(ReadDouble(ref reader, column, false));
        if (typeof(T) == typeof(float)) return As<float, T>(ReadSingle(ref reader, column, false));
        if (typeof(T) == typeof(bool)) return As<bool, T>(ReadBoolean(ref reader, column, false));
        if (typeof(T) == typeof(byte)) return As<byte, T>(ReadByte(ref reader, column, false));
        if (typeof(T) == typeof(short)) return As<short, T>(ReadInt16(ref reader, column, false));
        if (typeof(T) == typeof(uint)) return As<uint, T>(ReadUInt32(ref reader, column, false));
        if (typeof(T) == typeof(ulong)) return As<ulong, T>(ReadUInt64(ref reader, column, false));
        if (typeof(T) == typeof(decimal)) return As<decimal, T>(ReadDecimal(ref reader, column, false));
        if (typeof(T) == typeof(DateTime)) return As<DateTime, T>(ReadDateTime(ref reader, column, false));
        if (typeof(T) == typeof(DateTimeOffset)) return As<DateTimeOffset, T>(ReadDateTimeOffset(ref reader, column, false));
        if (typeof(T) == typeof(Guid)) return As<Guid, T>(ReadGuid(ref reader, column, false));

        bool isNull = reader.TokenType == JsonTokenType.Null;
        if (typeof(T) == typeof(int?)) return isNull ? default! : As<int?, T>(ReadInt32(ref reader, column, true));
        if (typeof(T) == typeof(long?)) return isNull ? default! : As<long?, T>(ReadInt64(ref reader, column, true));
        if (typeof(T) == typeof(double?)) return isNull ? default! : As<double?, T>(ReadDouble(ref reader, column, true));
        if (typeof(T) == typeof(float?)) return isNull ? default! : As<float?, T>(ReadSingle(ref reader, column, true));
        if (typeof(T) == typeof(bool?)) return isNull ? default! : As<bool?, T>(ReadBoolean(ref reader, column, true));
        if (typeof(T) == typeof(byte?)) return isNull ? default! : As<byte?, T>(ReadByte(ref reader, column, true));
        if (typeof(T) == typeof(short?)) return isNull ? default! : As<short?, T>(ReadInt16(ref reader, column, true));
        if (typeof(T) == typeof(uint?)) return isNull ? default! : As<uint?, T>(ReadUInt32(ref reader, column, true));
        if (typeof(T) == typeof(ulong?)) return isNull ? default! : As<ulong?, T>(ReadUInt64(ref reader, column, true));
        if (typeof(T) == typeof(decimal?)) return isNull ? default! : As<decimal?, T>(ReadDecimal(ref reader, column, true));
        if (typeof(T) == typeof(DateTime?)) return isNull ? default! : As<DateTime?, T>(ReadDateTime(ref reader, column, true));
        if (typeof(T) == typeof(DateTimeOffset?)) return isNull ? default! : As<DateTimeOffset?, T>(ReadDateTimeOffset(ref reader, column, true));
        if (typeof(T) == typeof(Guid?)) return isNull ? default! : As<Guid?, T>(ReadGuid(ref reader, column, true));

        if (EnumType<T>() is { } enumType)
        {
            bool nullable = enumType != typeof(T);
            if (isNull && nullable) return default!;
            return (T)ReadEnumBoxed(ref reader, column, enumType, nullable);
        }
        throw Unsupported<T>();
    }

    public static partial T ReadJsonEnum<T>(ref Utf8JsonReader reader, string column) where T : struct, Enum
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > 256)
            {
                if (ColumnText.TryParseEnumName(ReadString(ref reader, column), out T named)) return named;
            }
            else
            {
                Span<char> chars = stackalloc char[256];
                int n = Encoding.UTF8.GetChars(reader.ValueSpan, chars);
                if (ColumnText.TryParseEnumName(chars[..n], out T named)) return named;
            }
        }
        else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number) && ColumnText.TryEnumFromInt64(number, out T value))
        {
            return value;
        }
        throw Mistyped(ref reader, column, typeof(T).Name, false);
    }

    public static partial T[]? ReadJsonArray<T>(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw Mistyped(ref reader, column, $"an array of {TypeName<T>()}", true);
        var items = new ArrayBuilder<T>();
        try
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                items.Add(ReadJson<T>(ref reader, column));
            return items.ToArray();
        }
        finally
        {
            items.Dispose();
        }
    }

    public static partial void WriteJson<T>(Utf8JsonWriter writer, string name, T value)
    {
        writer.WritePropertyName(name);
        WriteJsonValue(writer, value);
    }

    public static partial void WriteJsonEnum<T>(Utf8JsonWriter writer, string name, T value) where T : struct, Enum =>
        writer.WriteString(name, Enum.GetName(value) ?? value.ToString());

    public static partial void WriteJsonArray<T>(Utf8JsonWriter writer, string name, T[]? values)
    {
        if (values is null)
        {
            writer.WriteNull(name);
            return;
        }
        writer.WriteStartArray(name);
        foreach (var value in values) WriteJsonValue(writer, value);
        writer.WriteEndArray();
    }

    /// <summary>Writes a scalar value (no property name): numbers as numbers, non-finite floats as "NaN"/"Infinity"/"-Infinity".</summary>
    internal static void WriteJsonValue<T>(Utf8JsonWriter writer, T value)
    {
        if (typeof(T) == typeof(string)) { WriteString(writer, As<T, string?>(value)); return; }
        if (typeof(T) == typeof(Blob)) { if (As<T, Blob?>(value) is { } blob) writer.WriteBase64StringValue(blob.Span); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(int)) { writer.WriteNumberValue(As<T, int>(value)); return; }
        if (typeof(T) == typeof(long)) { writer.WriteNumberValue(As<T, long>(value)); return; }
        if (typeof(T) == typeof(double)) { WriteDouble(writer, As<T, double>(value)); return; }
        if (typeof(T) == typeof(float)) { WriteSingle(writer, As<T, float>(value)); return; }
        if (typeof(T) == typeof(bool)) { writer.WriteBooleanValue(As<T, bool>(value)); return; }
        if (typeof(T) == typeof(byte)) { writer.WriteNumberValue(As<T, byte>(value)); return; }
        if (typeof(T) == typeof(short)) { writer.WriteNumberValue(As<T, short>(value)); return; }
        if (typeof(T) == typeof(uint)) { writer.WriteNumberValue(As<T, uint>(value)); return; }
        if (typeof(T) == typeof(ulong)) { writer.WriteNumberValue(As<T, ulong>(value)); return; }
        if (typeof(T) == typeof(decimal)) { writer.WriteNumberValue(As<T, decimal>(value)); return; }
        if (typeof(T) == typeof(DateTime)) { writer.WriteStringValue(As<T, DateTime>(value)); return; }
        if (typeof(T) == typeof(DateTimeOffset)) { writer.WriteStringValue(As<T, DateTimeOffset>(value)); return; }
        if (typeof(T) == typeof(Guid)) { writer.WriteStringValue(As<T, Guid>(value)); return; }

        if (typeof(T) == typeof(int?)) { if (As<T, int?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(long?)) { if (As<T, long?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(double?)) { if (As<T, double?>(value) is { } v) WriteDouble(writer, v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(float?)) { if (As<T, float?>(value) is { } v) WriteSingle(writer, v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(bool?)) { if (As<T, bool?>(value) is { } v) writer.WriteBooleanValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(byte?)) { if (As<T, byte?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(short?)) { if (As<T, short?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(uint?)) { if (As<T, uint?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(ulong?)) { if (As<T, ulong?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(decimal?)) { if (As<T, decimal?>(value) is { } v) writer.WriteNumberValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(DateTime?)) { if (As<T, DateTime?>(value) is { } v) writer.WriteStringValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(DateTimeOffset?)) { if (As<T, DateTimeOffset?>(value) is { } v) writer.WriteStringValue(v); else writer.WriteNullValue(); return; }
        if (typeof(T) == typeof(Guid?)) { if (As<T, Guid?>(value) is { } v) writer.WriteStringValue(v); else writer.WriteNullValue(); return; }

        if (EnumType<T>() is not null)
        {
            object? boxed = value;
            if (boxed is null) writer.WriteNullValue();
            else writer.WriteStringValue(boxed.ToString());
            return;
        }
        throw Unsupported<T>();
    }

    // ---- readers of one JSON token ----

    private static string? ReadString(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String) throw Mistyped(ref reader, column, "String", false);
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new RowFormatException(column, "holds a string that is not valid UTF-8");
        }
    }

    private static int ReadInt32(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int v) ? v : throw Mistyped(ref reader, column, "Int32", orNull);

    private static long ReadInt64(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long v) ? v : throw Mistyped(ref reader, column, "Int64", orNull);

    private static byte ReadByte(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out byte v) ? v : throw Mistyped(ref reader, column, "Byte", orNull);

    private static short ReadInt16(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt16(out short v) ? v : throw Mistyped(ref reader, column, "Int16", orNull);

    private static uint ReadUInt32(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out uint v) ? v : throw Mistyped(ref reader, column, "UInt32", orNull);

    private static ulong ReadUInt64(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out ulong v) ? v : throw Mistyped(ref reader, column, "UInt64", orNull);

    private static decimal ReadDecimal(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out decimal v) ? v : throw Mistyped(ref reader, column, "Decimal", orNull);

    private static bool ReadBoolean(ref Utf8JsonReader reader, string column, bool orNull) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Mistyped(ref reader, column, "Boolean", orNull),
    };

    private static double ReadDouble(ref Utf8JsonReader reader, string column, bool orNull)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double v)) return v;
        if (reader.TokenType == JsonTokenType.String && TryNonFinite(ref reader, out v)) return v;
        throw Mistyped(ref reader, column, "Double", orNull);
    }

    private static float ReadSingle(ref Utf8JsonReader reader, string column, bool orNull)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetSingle(out float v)) return v;
        if (reader.TokenType == JsonTokenType.String && TryNonFinite(ref reader, out double d)) return (float)d;
        throw Mistyped(ref reader, column, "Single", orNull);
    }

    private static DateTime ReadDateTime(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out DateTime v) ? v : throw Mistyped(ref reader, column, "DateTime", orNull);

    private static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out DateTimeOffset v) ? v : throw Mistyped(ref reader, column, "DateTimeOffset", orNull);

    private static Guid ReadGuid(ref Utf8JsonReader reader, string column, bool orNull) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out Guid v) ? v : throw Mistyped(ref reader, column, "Guid", orNull);

    // JSON has no NaN or infinities: they travel as the strings System.Text.Json's named literals use.
    private static bool TryNonFinite(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.HasValueSequence || reader.ValueIsEscaped) return false;
        var s = reader.ValueSpan;
        if (s.SequenceEqual("NaN"u8)) value = double.NaN;
        else if (s.SequenceEqual("Infinity"u8)) value = double.PositiveInfinity;
        else if (s.SequenceEqual("-Infinity"u8)) value = double.NegativeInfinity;
        else return false;
        return true;
    }

    private static void WriteDouble(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteStringValue(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8);
    }

    private static void WriteSingle(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteStringValue(float.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8);
    }

    private static void WriteString(Utf8JsonWriter writer, string? value)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value);
    }

    private static object ReadEnumBoxed(ref Utf8JsonReader reader, string column, Type enumType, bool orNull)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            string? name = ReadString(ref reader, column);
            if (ColumnText.TryParseEnumName(enumType, name, out object? value)) return value;
        }
        else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number))
        {
            return Enum.ToObject(enumType, number);
        }
        throw Mistyped(ref reader, column, enumType.Name, orNull);
    }

    // ---- helpers ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TTo As<TFrom, TTo>(TFrom value) => Unsafe.As<TFrom, TTo>(ref value);

    /// <summary>The enum type of <typeparamref name="T"/> or of its Nullable form; null for other types.</summary>
    internal static Type? EnumType<T>() =>
        typeof(T).IsEnum ? typeof(T) : Nullable.GetUnderlyingType(typeof(T)) is { IsEnum: true } u ? u : null;

    internal static string TypeName<T>() => (Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T)).Name;

    /// <summary>A binary column: base64 text (null for null), into a pooled blob counted by the memory budget.</summary>
    private static Blob? ReadBlob(ref Utf8JsonReader reader, string column)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetBytesFromBase64(out var bytes))
            throw new RowFormatException(column, "expects base64 text (a binary column)");
        return Blob.CopyOf(bytes);
    }

    internal static NotSupportedException Unsupported<T>() => new(
        $"Column type {typeof(T)} is not supported: use string, bool, byte, short, int, long, uint, ulong, float, double, " +
        "decimal, DateTime, DateTimeOffset, Guid, Blob (binary), an enum, a Nullable of one of these, or an array of them.");

    private static RowFormatException Mistyped(ref Utf8JsonReader reader, string column, string expected, bool orNull) =>
        new(column, $"expects {expected}{(orNull ? " or null" : "")} but found {Describe(ref reader)}");

    /// <summary>The current token as an error message shows it: its kind and a short excerpt.</summary>
    internal static string Describe(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                string text;
                try { text = reader.GetString() ?? ""; }
                catch (InvalidOperationException) { text = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan); }
                return $"String \"{ColumnText.Excerpt(text)}\"";
            case JsonTokenType.Number:
                return "Number " + ColumnText.Excerpt(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
            case JsonTokenType.True: return "Boolean true";
            case JsonTokenType.False: return "Boolean false";
            case JsonTokenType.Null: return "null";
            case JsonTokenType.StartObject: return "an object";
            case JsonTokenType.StartArray: return "an array";
            default: return reader.TokenType.ToString();
        }
    }

    /// <summary>Collects array items in pooled storage; only the final array is allocated.</summary>
    private struct ArrayBuilder<T> : IDisposable
    {
        private T[]? _items;
        private int _count;

        public void Add(T item)
        {
            if (_items is null) _items = ArrayPool<T>.Shared.Rent(16);
            else if (_count == _items.Length)
            {
                var bigger = ArrayPool<T>.Shared.Rent(_items.Length * 2);
                _items.AsSpan(0, _count).CopyTo(bigger);
                Return();
                _items = bigger;
            }
            _items[_count++] = item;
        }

        public readonly T[] ToArray() => _count == 0 ? Array.Empty<T>() : _items.AsSpan(0, _count).ToArray();

        public void Dispose()
        {
            if (_items is not null) Return();
            _items = null;
        }

        private readonly void Return() =>
            ArrayPool<T>.Shared.Return(_items!, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
    }
}
