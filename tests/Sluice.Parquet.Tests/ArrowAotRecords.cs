using Sluice;

namespace Sluice.Parquet.Tests;

// The columns of samples/ArrowAot, declared here on their own: the test writes the native program's input and reads
// its output with the JIT-compiled Sluice.Arrow, matched to the sample's records by column name only.

/// <summary>
/// A row of the sample's input (its <c>Reading</c>). <see cref="Sensor"/> may be null here, where the sample's may not
/// (that row fails there); the quantity is plain text, which the sample reads as its enum by name.
/// </summary>
public sealed record SensorRow(long Id, string? Sensor, double Value, float[] Samples, bool Calibrated, int? Quality,
                               string? Note, DateTime Taken, string Quantity, Blob Frame);

/// <summary>Writes <see cref="SensorRow"/>s as they are.</summary>
[Pipeline(typeof(SensorRow), typeof(SensorRow))]
public static partial class SensorRows { }

/// <summary>A row of the sample's output (its <c>Summary</c>), the quantity as text.</summary>
public sealed record SensorSummary(long Id, string Sensor, double Value, int? Quality, string? Note, DateTime Taken, string Quantity,
                                   float[] Samples, double Mean, float Peak, DateTime Hour, string Label, int FrameLength, uint FrameSum,
                                   Blob Frame);

/// <summary>The same, with the frame's bytes as base64 so that the rows outlive the run that read them.</summary>
public sealed record SensorSummaryText(long Id, string Sensor, double Value, int? Quality, string? Note, DateTime Taken, string Quantity,
                                       float[] Samples, double Mean, float Peak, DateTime Hour, string Label, int FrameLength, uint FrameSum,
                                       string FrameBase64);

/// <summary>Reads the sample's output back.</summary>
[Pipeline(typeof(SensorSummary), typeof(SensorSummaryText))]
public static partial class SensorSummaries
{
    [Stage] static string FrameBase64(Blob frame) => Convert.ToBase64String(frame.Span);
}
