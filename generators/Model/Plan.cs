namespace Sluice.Generators.Model;

internal enum SegmentKind { Cpu, Async, Batch }

/// <summary>A segment: a run of live stages executed as one operator.</summary>
internal sealed record SegmentPlan(SegmentKind Kind, EquatableArray<int> Stages);

/// <summary>
/// The execution shape the checks derived: which stages run, how they group into segments, which
/// columns each boundary carries, and where each column is last read.
/// </summary>
internal sealed record Plan(
    EquatableArray<int> LiveStages,
    EquatableArray<SegmentPlan> Segments,
    EquatableArray<EquatableArray<int>> Boundaries,   // Segments.Length + 1 entries; column indices
    EquatableArray<int> LastReader)                    // per column: stage index, Sink, or Unread
{
    public const int Sink = int.MaxValue;
    public const int Unread = -1;
}
