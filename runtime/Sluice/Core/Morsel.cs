using System.Collections.Concurrent;

namespace Sluice;

/// <summary>
/// A columnar batch of rows travelling between segments. The generator emits one subclass per
/// segment boundary holding exactly the columns that are live there (one array per column),
/// plus the <c>Origin</c> column (the input row each row came from, for dead letters).
/// Instances are pooled and reused; their arrays are allocated once.
/// </summary>
public abstract class Morsel
{
    /// <summary>Creates a morsel able to hold <paramref name="capacity"/> rows.</summary>
    protected Morsel(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>How many rows the column arrays hold.</summary>
    public int Capacity { get; }

    /// <summary>How many rows are filled.</summary>
    public int Count;

    // Order key: the source numbers morsels; a segment that splits one input morsel into several
    // output morsels numbers the parts. Ordered channels restore (Sequence, Part) order.
    internal long Sequence;
    internal int Part;
    internal bool LastPart = true;
    internal MorselPool? Pool;

    /// <summary>The input row that row <paramref name="row"/> came from (boxed), for dead letters.</summary>
    public abstract object? GetOrigin(int row);

    /// <summary>Disposes the disposable column values of one row that is dropped (failed or cancelled).</summary>
    public abstract void DisposeRow(int row);

    /// <summary>Clears the references held by rows 0..Count (ownership has moved on) so the GC can collect them.</summary>
    protected abstract void ClearRows();

    /// <summary>Returns the morsel to its pool.</summary>
    public void Release()
    {
        ClearRows();
        Count = 0;
        Part = 0;
        LastPart = true;
        Pool?.Return(this);
    }
}

/// <summary>A pool of morsels of one generated type.</summary>
internal sealed class MorselPool
{
    private readonly ConcurrentBag<Morsel> _free = new();
    private readonly Func<int, Morsel> _factory;
    private readonly int _capacity;

    public MorselPool(Func<int, Morsel> factory, int capacity)
    {
        _factory = factory;
        _capacity = capacity;
    }

    public Morsel Rent()
    {
        if (!_free.TryTake(out var m))
        {
            m = _factory(_capacity);
            m.Pool = this;
        }
        return m;
    }

    public void Return(Morsel m) => _free.Add(m);
}
