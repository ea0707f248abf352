using System.Globalization;

namespace Sluice;

/// <summary>
/// Byte sizes as people write them on a command line: <c>1048576</c>, <c>512MB</c>, <c>1.5GB</c>, <c>2GiB</c>.
/// B, KB, MB, GB and TB are powers of 1000; KiB, MiB, GiB and TiB powers of 1024; units are case-insensitive.
/// </summary>
internal static class MemorySize
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        // Longest suffixes first, so "KiB" is not read as "B".
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000L), ("MB", 1_000_000L), ("GB", 1_000_000_000L), ("TB", 1_000_000_000_000L),
        ("B", 1L),
    ];

    /// <summary>Parses a positive size in bytes; false for anything else (empty, negative, zero, unknown unit, fractional bytes, overflow).</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        long factor = 1;
        foreach (var (unit, f) in Units)
        {
            if (s.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                s = s[..^unit.Length].TrimEnd();
                break;
            }
        }
        if (s.Length == 0 || !char.IsAsciiDigit(s[0]) && s[0] != '.') return false;
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;

        decimal value;
        try { value = number * factor; }
        catch (OverflowException) { return false; }
        // A fraction of a byte is a typo, not a size; larger units may round down to whole bytes.
        if (factor == 1 && value != decimal.Truncate(value)) return false;
        value = decimal.Truncate(value);
        if (value < 1 || value > long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }

    /// <summary>Formats bytes for people: powers of 1024 exactly as <c>2 GiB</c>, anything else in 1000-based units such as <c>12.3 MB</c>.</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1000) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        for (int i = 3; i >= 0; i--)
        {
            // Exact binary multiples (limits people typed as GiB) read better in their own unit.
            var (unit, factor) = Units[i];
            if (bytes % factor == 0 && bytes / factor is >= 1 and < 1024) return (bytes / factor).ToString(CultureInfo.InvariantCulture) + " " + unit;
        }
        string[] names = ["KB", "MB", "GB", "TB"];
        double v = bytes;
        int k = -1;
        while (v >= 1000 && k < names.Length - 1) { v /= 1000; k++; }
        return v.ToString(v < 10 ? "0.##" : v < 100 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + names[k];
    }
}
