namespace Sluice;

/// <summary>What kind of work a stage does; decides where segment boundaries fall.</summary>
public enum StageKind
{
    /// <summary>A synchronous per-row stage computing one column.</summary>
    Map,
    /// <summary>A synchronous per-row predicate.</summary>
    Filter,
    /// <summary>A synchronous stage emitting any number of rows per input row.</summary>
    Explode,
    /// <summary>A per-row stage returning <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>.</summary>
    Async,
    /// <summary>A stage over spans of <c>BatchSize</c> rows.</summary>
    Batch,
}

/// <summary>Static facts about one stage, emitted by the generator.</summary>
/// <param name="Name">The method's name.</param>
/// <param name="Kind">The stage kind.</param>
/// <param name="OnError">What a throwing call does to its row.</param>
/// <param name="Columns">The columns the stage writes (empty for filters).</param>
/// <param name="MaxConcurrency">Async stages: calls in flight.</param>
/// <param name="BatchSize">Batch stages: rows per call.</param>
/// <param name="Device">Batch stages: where they run.</param>
/// <param name="MakesPayload">Whether the stage writes a disposable (payload) column; such segments get memory budget tiers.</param>
public sealed record StageInfo(
    string Name,
    StageKind Kind,
    OnError OnError,
    string[] Columns,
    int MaxConcurrency = 0,
    int BatchSize = 0,
    Device Device = Device.Cpu,
    bool MakesPayload = false);
