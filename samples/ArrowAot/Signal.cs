namespace ArrowAot;

/// <summary>The arithmetic of the stages, kept apart so that it reads on its own.</summary>
public static class Signal
{
    /// <summary>The mean of the samples, summed in order in double precision; 0 for none (JSON has no NaN).</summary>
    public static double Mean(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty) return 0;
        double sum = 0;
        foreach (float s in samples) sum += s;
        return sum / samples.Length;
    }

    /// <summary>The sample of the largest magnitude, with its sign; 0 for none.</summary>
    public static float Peak(ReadOnlySpan<float> samples)
    {
        float peak = 0;
        foreach (float s in samples) if (Math.Abs(s) > Math.Abs(peak)) peak = s;
        return peak;
    }

    /// <summary>The start of the hour <paramref name="taken"/> falls in, of the same kind.</summary>
    public static DateTime Hour(DateTime taken) =>
        new(taken.Ticks - taken.Ticks % TimeSpan.TicksPerHour, taken.Kind);

    /// <summary>"sensor/quantity/quality", with "unrated" for a reading without a quality.</summary>
    public static string Label(string sensor, Quantity quantity, int? quality) =>
        $"{sensor}/{quantity}/{(quality is { } q ? q.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unrated")}";

    /// <summary>Fletcher-32 over the bytes (taken as little-endian 16-bit words, an odd last byte padded with zero).</summary>
    public static uint Fletcher32(ReadOnlySpan<byte> bytes)
    {
        uint a = 0xFFFF, b = 0xFFFF;
        for (int i = 0; i < bytes.Length; i += 2)
        {
            uint word = bytes[i] | (i + 1 < bytes.Length ? (uint)bytes[i + 1] << 8 : 0u);
            a = (a + word) % 0xFFFF;
            b = (b + a) % 0xFFFF;
        }
        return b << 16 | a;
    }
}
