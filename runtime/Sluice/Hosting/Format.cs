using System.Globalization;

namespace Sluice;

/// <summary>Number and time formats shared by progress, the summary and the report (invariant culture).</summary>
internal static class Format
{
    /// <summary>A count with thousands separators: 120,000.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A rate, whole above 100: 24,000 rows/s, 12.5 rows/s.</summary>
    public static string Rate(double perSecond) =>
        double.IsFinite(perSecond) ? perSecond.ToString(perSecond >= 100 ? "N0" : "0.#", CultureInfo.InvariantCulture) : "0";

    /// <summary>A clock reading: 00:00:05 (days fold into hours).</summary>
    public static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");

    /// <summary>A duration with tenths: 00:00:05.3.</summary>
    public static string Duration(TimeSpan t) => Clock(t) + "." + (t.Milliseconds / 100).ToString(CultureInfo.InvariantCulture);

    /// <summary>Seconds with two decimals: 1.25 s.</summary>
    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    /// <summary>Rows per second over <paramref name="elapsed"/> (0 for no time).</summary>
    public static double PerSecond(long rows, TimeSpan elapsed) => elapsed > TimeSpan.Zero ? rows / elapsed.TotalSeconds : 0;

    /// <summary>Payload in flight and the limit: "12.3 MB" or "12.3 MB of 2 GiB".</summary>
    public static string Payload(long bytes, long? limit) =>
        limit is long l ? $"{MemorySize.Format(bytes)} of {MemorySize.Format(l)}" : MemorySize.Format(bytes);
}
