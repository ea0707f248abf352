namespace Sluice;

/// <summary>Moves input records into the first morsel's columns (generated).</summary>
public abstract class RowLoader<TIn>
{
    /// <summary>Writes <paramref name="rows"/> into rows 0..n of <paramref name="morsel"/> and sets its Count.</summary>
    public abstract void Load(ReadOnlySpan<TIn> rows, Morsel morsel);

    /// <summary>
    /// Lets the morsel read <paramref name="rows"/> where they are, without copying (the memory stays
    /// valid for the run, as chunked in-memory sources promise). Returns false when this morsel type
    /// needs its own copy; then <see cref="Load"/> is used.
    /// </summary>
    public virtual bool TryAttach(ReadOnlyMemory<TIn> rows, Morsel morsel) => false;
}

/// <summary>Builds output records from the last morsel's columns (generated).</summary>
public abstract class RowUnloader<TOut>
{
    /// <summary>Builds <c>morsel.Count</c> records into <paramref name="rows"/>.</summary>
    public abstract void Unload(Morsel morsel, Span<TOut> rows);
}

/// <summary>
/// Everything the generator knows about one pipeline: its stages, its segments in order, and one
/// morsel factory per segment boundary (boundary i feeds segment i; the last one feeds the sink).
/// </summary>
public sealed class PipelinePlan<TIn, TOut>
{
    /// <summary>Creates a plan; <paramref name="boundaries"/> has one more entry than <paramref name="segments"/>.</summary>
    public PipelinePlan(
        string name,
        StageInfo[] stages,
        Segment[] segments,
        Func<int, Morsel>[] boundaries,
        RowLoader<TIn> loader,
        RowUnloader<TOut> unloader,
        RowCodec<TIn>? inputCodec,
        RowCodec<TOut>? outputCodec)
    {
        if (boundaries.Length != segments.Length + 1)
            throw new ArgumentException("A plan needs one boundary more than it has segments.", nameof(boundaries));
        Name = name;
        Stages = stages;
        Segments = segments;
        Boundaries = boundaries;
        Loader = loader;
        Unloader = unloader;
        InputCodec = inputCodec;
        OutputCodec = outputCodec;
    }

    /// <summary>The pipeline class's name.</summary>
    public string Name { get; }
    /// <summary>Every stage that runs, in pipeline order.</summary>
    public StageInfo[] Stages { get; }
    /// <summary>The segments in order.</summary>
    public Segment[] Segments { get; }
    /// <summary>Morsel factories (by capacity) per boundary.</summary>
    public Func<int, Morsel>[] Boundaries { get; }
    /// <summary>Input records to the first morsel.</summary>
    public RowLoader<TIn> Loader { get; }
    /// <summary>The last morsel to output records.</summary>
    public RowUnloader<TOut> Unloader { get; }
    /// <summary>Reads and writes input records as JSON and CSV.</summary>
    public RowCodec<TIn>? InputCodec { get; }
    /// <summary>Reads and writes output records as JSON and CSV.</summary>
    public RowCodec<TOut>? OutputCodec { get; }
}
