// The ArrowAot pipeline: sensor readings from an Arrow IPC file or stream, summarised per reading. Every stage is a
// plain static method; the generator fuses them into one operator and emits the columnar codec the Arrow source and
// sink use, so nothing here needs reflection, and the program publishes as a NativeAOT binary.

using Sluice;

namespace ArrowAot;

/// <summary>What a sensor measures; an Arrow utf8 column holding the name.</summary>
public enum Quantity { Temperature, Pressure, Light }

/// <summary>
/// One reading as the input file holds it: int64, utf8, float64, list&lt;float&gt;, bool, a nullable int32, a nullable
/// utf8, timestamp[µs], an enum as utf8 and a binary column (the raw frame, read into a pooled <see cref="Blob"/>).
/// </summary>
public sealed record Reading(long Id, string Sensor, double Value, float[] Samples, bool Calibrated, int? Quality,
                             string? Note, DateTime Taken, Quantity Quantity, Blob Frame);

/// <summary>A calibrated reading with what the stages computed from it; the frame goes through as it came.</summary>
public sealed record Summary(long Id, string Sensor, double Value, int? Quality, string? Note, DateTime Taken, Quantity Quantity,
                             float[] Samples, double Mean, float Peak, DateTime Hour, string Label, int FrameLength, uint FrameSum, Blob Frame);

/// <summary>Keeps the calibrated readings and summarises each one.</summary>
[Pipeline(typeof(Reading), typeof(Summary))]
public static partial class Readings
{
    [Filter] static bool IsCalibrated(bool calibrated) => calibrated;

    [Stage] static double Mean(float[] samples) => Signal.Mean(samples);

    [Stage] static float Peak(float[] samples) => Signal.Peak(samples);

    [Stage] static DateTime Hour(DateTime taken) => Signal.Hour(taken);

    [Stage] static string Label(string sensor, Quantity quantity, int? quality) => Signal.Label(sensor, quantity, quality);

    [Stage] static int FrameLength(Blob frame) => frame.Length;

    [Stage] static uint FrameSum(Blob frame) => Signal.Fletcher32(frame.Span);
}
