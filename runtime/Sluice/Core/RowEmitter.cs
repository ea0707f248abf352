namespace Sluice;

/// <summary>
/// Collects the rows an <c>[Explode]</c> stage emits for one input row. One emitter per worker is
/// reused for every row, so emitting does not allocate once its buffer has grown.
/// </summary>
public sealed class RowEmitter<T>
{
    private T[] _items = new T[16];

    /// <summary>How many values were emitted for the current row.</summary>
    public int Count { get; private set; }

    /// <summary>Emits one row whose new column holds <paramref name="value"/>.</summary>
    public void Emit(T value)
    {
        if (Count == _items.Length)
            Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = value;
    }

    /// <summary>The value of emitted row <paramref name="index"/>.</summary>
    public T this[int index] => _items[index];

    /// <summary>Forgets the emitted values (called by the runtime before each input row).</summary>
    public void Clear()
    {
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            Array.Clear(_items, 0, Count);
        Count = 0;
    }
}
