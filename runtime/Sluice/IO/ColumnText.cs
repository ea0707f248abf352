using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using static Sluice.ColumnValue;

namespace Sluice;

/// <summary>
/// Column values as UTF-8 text (CSV fields), in the invariant culture. Numbers parse and format straight
/// from and to UTF-8; bool, dates, Guid and enums go through a stack buffer of chars.
/// Empty text reads as null for Nullable types and as "" for string (CSV cannot tell "" from null).
/// </summary>
internal static class ColumnText
{
    private const NumberStyles Integer = NumberStyles.Integer;
    private const NumberStyles Float = NumberStyles.Float;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Longest text accepted for bool, date, Guid and enum values (longer is never valid).</summary>
    private const int MaxCharsText = 256;

    public static T Parse<T>(ReadOnlySpan<byte> field, string column)
    {
        // The string itself is the one allocation a string column costs.
        if (typeof(T) == typeof(string)) return As<string, T>(field.IsEmpty ? string.Empty : Encoding.UTF8.GetString(field));
        if (typeof(T) == typeof(Blob)) return As<Blob?, T>(ParseBlob(field, column));

        var t = field.Trim(" \t"u8);
        if (typeof(T) == typeof(int)) return As<int, T>(int.TryParse(t, Integer, Invariant, out int i) ? i : throw Mistyped<int>(t, column, false));
        if (typeof(T) == typeof(long)) return As<long, T>(long.TryParse(t, Integer, Invariant, out long l) ? l : throw Mistyped<long>(t, column, false));
        if (typeof(T) == typeof(double)) return As<double, T>(double.TryParse(t, Float, Invariant, out double d) ? d : throw Mistyped<double>(t, column, false));
        if (typeof(T) == typeof(float)) return As<float, T>(float.TryParse(t, Float, Invariant, out float f) ? f : throw Mistyped<float>(t, column, false));
        if (typeof(T) == typeof(bool)) return As<bool, T>(TryBoolean(t, out bool b) ? b : throw Mistyped<bool>(t, column, false));
        if (typeof(T) == typeof(byte)) return As<byte, T>(byte.TryParse(t, Integer, Invariant, out byte u8) ? u8 : throw Mistyped<byte>(t, column, false));
        if (typeof(T) == typeof(short)) return As<short, T>(short.TryParse(t, Integer, Invariant, out short s) ? s : throw Mistyped<short>(t, column, false));
        if (typeof(T) == typeof(uint)) return As<uint, T>(uint.TryParse(t, Integer, Invariant, out uint u) ? u : throw Mistyped<uint>(t, column, false));
        if (typeof(T) == typeof(ulong)) return As<ulong, T>(ulong.TryParse(t, Integer, Invariant, out ulong ul) ? ul : throw Mistyped<ulong>(t, column, false));
        if (typeof(T) == typeof(decimal)) return As<decimal, T>(decimal.TryParse(t, Float, Invariant, out decimal m) ? m : throw Mistyped<decimal>(t, column, false));
        if (typeof(T) == typeof(DateTime)) return As<DateTime, T>(TryDateTime(t, out DateTime dt) ? dt : throw Mistyped<DateTime>(t, column, false));
        if (typeof(T) == typeof(DateTimeOffset)) return As<DateTimeOffset, T>(TryDateTimeOffset(t, out DateTimeOffset dto) ? dto : throw Mistyped<DateTimeOffset>(t, column, false));
        if (typeof(T) == typeof(Guid)) return As<Guid, T>(TryGuid(t, out Guid g) ? g : throw Mistyped<Guid>(t, column, false));

        bool empty = t.IsEmpty;
        if (typeof(T) == typeof(int?)) return empty ? default! : As<int?, T>(int.TryParse(t, Integer, Invariant, out int i) ? i : throw Mistyped<int>(t, column, true));
        if (typeof(T) == typeof(long?)) return empty ? default! : As<long?, T>(long.TryParse(t, Integer, Invariant, out long l) ? l : throw Mistyped<long>(t, column, true));
        if (typeof(T) == typeof(double?)) return empty ? default! : As<double?, T>(double.TryParse(t, Float, Invariant, out double d) ? d : throw Mistyped<double>(t, column, true));
        if (typeof(T) == typeof(float?)) return empty ? default! : As<float?, T>(float.TryParse(t, Float, Invariant, out float f) ? f : throw Mistyped<float>(t, column, true));
        if (typeof(T) == typeof(bool?)) return empty ? default! : As<bool?, T>(TryBoolean(t, out bool b) ? b : throw Mistyped<bool>(t, column, true));
        if (typeof(T) == typeof(byte?)) return empty ? default! : As<byte?, T>(byte.TryParse(t, Integer, Invariant, out byte u8) ? u8 : throw Mistyped<byte>(t, column, true));
        if (typeof(T) == typeof(short?)) return empty ? default! : As<short?, T>(short.TryParse(t, Integer, Invariant, out short s) ? s : throw Mistyped<short>(t, column, true));
        if (typeof(T) == typeof(uint?)) return empty ? default! : As<uint?, T>(uint.TryParse(t, Integer, Invariant, out uint u) ? u : throw Mistyped<uint>(t, column, true));
        if (typeof(T) == typeof(ulong?)) return empty ? default! : As<ulong?, T>(ulong.TryParse(t, Integer, Invariant, out ulong ul) ? ul : throw Mistyped<ulong>(t, column, true));
        if (typeof(T) == typeof(decimal?)) return empty ? default! : As<decimal?, T>(decimal.TryParse(t, Float, Invariant, out decimal m) ? m : throw Mistyped<decimal>(t, column, true));
        if (typeof(T) == typeof(DateTime?)) return empty ? default! : As<DateTime?, T>(TryDateTime(t, out DateTime dt) ? dt : throw Mistyped<DateTime>(t, column, true));
        if (typeof(T) == typeof(DateTimeOffset?)) return empty ? default! : As<DateTimeOffset?, T>(TryDateTimeOffset(t, out DateTimeOffset dto) ? dto : throw Mistyped<DateTimeOffset>(t, column, true));
        if (typeof(T) == typeof(Guid?)) return empty ? default! : As<Guid?, T>(TryGuid(t, out Guid g) ? g : throw Mistyped<Guid>(t, column, true));

        if (EnumType<T>() is { } enumType)
        {
            bool nullable = enumType != typeof(T);
            if (empty && nullable) return default!;
            if (t.Length <= MaxCharsText && TryParseEnumName(enumType, Encoding.UTF8.GetString(t), out object? value)) return (T)value;
            throw Mistyped(t, column, enumType.Name, nullable);
        }
        throw Unsupported<T>();
    }

    public static T ParseEnum<T>(ReadOnlySpan<byte> field, string column) where T : struct, Enum
    {
        var t = field.Trim(" \t"u8);
        if (t.Length <= MaxCharsText)
        {
            Span<char> chars = stackalloc char[MaxCharsText];
            int n = Encoding.UTF8.GetChars(t, chars);
            if (TryParseEnumName(chars[..n], out T value)) return value;
        }
        throw Mistyped(t, column, typeof(T).Name, false);
    }

    /// <summary>Writes <paramref name="value"/> as text (unquoted); null writes nothing.</summary>
    public static void Format<T>(T value, ByteBuffer output)
    {
        if (typeof(T) == typeof(string)) { FormatString(As<T, string?>(value), output); return; }
        if (typeof(T) == typeof(Blob)) { if (As<T, Blob?>(value) is { } blob) FormatString(Convert.ToBase64String(blob.Span), output); return; }
        if (typeof(T) == typeof(int)) { FormatNumber(As<T, int>(value), output); return; }
        if (typeof(T) == typeof(long)) { FormatNumber(As<T, long>(value), output); return; }
        if (typeof(T) == typeof(double)) { FormatNumber(As<T, double>(value), output); return; }
        if (typeof(T) == typeof(float)) { FormatNumber(As<T, float>(value), output); return; }
        if (typeof(T) == typeof(bool)) { output.Write(As<T, bool>(value) ? "true"u8 : "false"u8); return; }
        if (typeof(T) == typeof(byte)) { FormatNumber(As<T, byte>(value), output); return; }
        if (typeof(T) == typeof(short)) { FormatNumber(As<T, short>(value), output); return; }
        if (typeof(T) == typeof(uint)) { FormatNumber(As<T, uint>(value), output); return; }
        if (typeof(T) == typeof(ulong)) { FormatNumber(As<T, ulong>(value), output); return; }
        if (typeof(T) == typeof(decimal)) { FormatNumber(As<T, decimal>(value), output); return; }
        if (typeof(T) == typeof(DateTime)) { FormatRoundTrip(As<T, DateTime>(value), output); return; }
        if (typeof(T) == typeof(DateTimeOffset)) { FormatRoundTrip(As<T, DateTimeOffset>(value), output); return; }
        if (typeof(T) == typeof(Guid)) { FormatNumber(As<T, Guid>(value), output); return; }

        if (typeof(T) == typeof(int?)) { if (As<T, int?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(long?)) { if (As<T, long?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(double?)) { if (As<T, double?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(float?)) { if (As<T, float?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(bool?)) { if (As<T, bool?>(value) is { } v) output.Write(v ? "true"u8 : "false"u8); return; }
        if (typeof(T) == typeof(byte?)) { if (As<T, byte?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(short?)) { if (As<T, short?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(uint?)) { if (As<T, uint?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(ulong?)) { if (As<T, ulong?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(decimal?)) { if (As<T, decimal?>(value) is { } v) FormatNumber(v, output); return; }
        if (typeof(T) == typeof(DateTime?)) { if (As<T, DateTime?>(value) is { } v) FormatRoundTrip(v, output); return; }
        if (typeof(T) == typeof(DateTimeOffset?)) { if (As<T, DateTimeOffset?>(value) is { } v) FormatRoundTrip(v, output); return; }
        if (typeof(T) == typeof(Guid?)) { if (As<T, Guid?>(value) is { } v) FormatNumber(v, output); return; }

        if (EnumType<T>() is not null)
        {
            object? boxed = value;
            if (boxed is not null) FormatString(boxed.ToString(), output);
            return;
        }
        throw Unsupported<T>();
    }

    public static void FormatEnum<T>(T value, ByteBuffer output) where T : struct, Enum =>
        FormatString(Enum.GetName(value) ?? value.ToString(), output);

    /// <summary>A binary field: base64 (empty for null), into a pooled blob.</summary>
    private static Blob? ParseBlob(ReadOnlySpan<byte> field, string column)
    {
        var t = field.Trim(" \t"u8);
        if (t.IsEmpty) return null;
        var bytes = new byte[System.Buffers.Text.Base64.GetMaxDecodedFromUtf8Length(t.Length)];
        if (System.Buffers.Text.Base64.DecodeFromUtf8(t, bytes, out _, out int written) != System.Buffers.OperationStatus.Done)
            throw new RowFormatException(column, "expects base64 text (a binary column)");
        return Blob.CopyOf(bytes.AsSpan(0, written));
    }

    public static void FormatString(string? value, ByteBuffer output)
    {
        if (string.IsNullOrEmpty(value)) return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        output.Advance(Encoding.UTF8.GetBytes(value, span));
    }

    // Numbers use the shortest text that round-trips (the default format of float and double).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FormatNumber<TNumber>(TNumber value, ByteBuffer output) where TNumber : IUtf8SpanFormattable
    {
        if (!value.TryFormat(output.GetSpan(64), out int written, default, Invariant))
            throw new InvalidOperationException($"Could not format {value}."); // 64 bytes hold every value of these types
        output.Advance(written);
    }

    private static void FormatRoundTrip<TDate>(TDate value, ByteBuffer output) where TDate : IUtf8SpanFormattable
    {
        if (!value.TryFormat(output.GetSpan(64), out int written, "O", Invariant))
            throw new InvalidOperationException($"Could not format {value}.");
        output.Advance(written);
    }

    private static bool TryBoolean(ReadOnlySpan<byte> t, out bool value)
    {
        if (Ascii.EqualsIgnoreCase(t, "true"u8)) { value = true; return true; }
        if (Ascii.EqualsIgnoreCase(t, "false"u8)) { value = false; return true; }
        value = false;
        return false;
    }

    private static bool TryDateTime(ReadOnlySpan<byte> t, out DateTime value)
    {
        Span<char> chars = stackalloc char[MaxCharsText];
        value = default;
        return t.Length <= MaxCharsText && DateTime.TryParse(chars[..Encoding.UTF8.GetChars(t, chars)], Invariant, DateTimeStyles.RoundtripKind, out value);
    }

    private static bool TryDateTimeOffset(ReadOnlySpan<byte> t, out DateTimeOffset value)
    {
        Span<char> chars = stackalloc char[MaxCharsText];
        value = default;
        return t.Length <= MaxCharsText && DateTimeOffset.TryParse(chars[..Encoding.UTF8.GetChars(t, chars)], Invariant, DateTimeStyles.None, out value);
    }

    private static bool TryGuid(ReadOnlySpan<byte> t, out Guid value)
    {
        Span<char> chars = stackalloc char[MaxCharsText];
        value = default;
        return t.Length <= MaxCharsText && Guid.TryParse(chars[..Encoding.UTF8.GetChars(t, chars)], out value);
    }

    // ---- enums (shared with the JSON conversions) ----

    /// <summary>Parses an enum name (case-insensitive) or number; rejects empty text.</summary>
    public static bool TryParseEnumName<T>(ReadOnlySpan<char> text, out T value) where T : struct, Enum
    {
        value = default;
        return !text.IsWhiteSpace() && Enum.TryParse(text, ignoreCase: true, out value);
    }

    /// <summary>The non-generic form, for Nullable enums and enum arrays (boxes).</summary>
    public static bool TryParseEnumName(Type enumType, string? text, [NotNullWhen(true)] out object? value)
    {
        value = null;
        return !string.IsNullOrWhiteSpace(text) && Enum.TryParse(enumType, text, ignoreCase: true, out value) && value is not null;
    }

    /// <summary>The enum value with this number, if it fits the enum's underlying type.</summary>
    public static bool TryEnumFromInt64<T>(long number, out T value) where T : struct, Enum
    {
        value = default;
        switch (Unsafe.SizeOf<T>())
        {
            case 1:
                if (number is < sbyte.MinValue or > byte.MaxValue) return false;
                byte b = (byte)number;
                value = Unsafe.As<byte, T>(ref b);
                return true;
            case 2:
                if (number is < short.MinValue or > ushort.MaxValue) return false;
                ushort s = (ushort)number;
                value = Unsafe.As<ushort, T>(ref s);
                return true;
            case 4:
                if (number is < int.MinValue or > uint.MaxValue) return false;
                uint i = (uint)number;
                value = Unsafe.As<uint, T>(ref i);
                return true;
            default:
                value = Unsafe.As<long, T>(ref number);
                return true;
        }
    }

    // ---- errors ----

    private static RowFormatException Mistyped<TExpected>(ReadOnlySpan<byte> text, string column, bool orNull) =>
        Mistyped(text, column, typeof(TExpected).Name, orNull);

    private static RowFormatException Mistyped(ReadOnlySpan<byte> text, string column, string expected, bool orNull) =>
        new(column, $"expects {expected}{(orNull ? " or empty" : "")} but found " +
                    (text.IsEmpty ? "an empty field" : $"\"{Excerpt(Encoding.UTF8.GetString(text[..Math.Min(text.Length, 200)]))}\""));

    /// <summary>At most 40 characters of <paramref name="text"/>, for error messages.</summary>
    public static string Excerpt(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
