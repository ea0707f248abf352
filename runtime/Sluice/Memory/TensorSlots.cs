using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// One batch buffer shared by the tensors of consecutive rows: slot k holds floats
/// [k × RowLength, (k + 1) × RowLength). Its memory is one budget-counted <see cref="PayloadMemory"/>,
/// released when the slab is sealed and every claimed slot was disposed. Slots are claimed by one thread
/// (the CPU worker filling a morsel) and disposed by any.
/// </summary>
internal sealed class TensorSlab
{
    private readonly PayloadMemory _memory;
    private readonly int _rows;
    private int _claimed;
    private int _refs = 1; // the open reference, dropped by Seal

    public TensorSlab(PayloadMemory memory, int rowLength, int rows)
    {
        _memory = memory;
        RowLength = rowLength;
        _rows = rows;
    }

    /// <summary>Floats per slot.</summary>
    public int RowLength { get; }

    /// <summary>Slots claimed so far.</summary>
    public int Claimed => _claimed;

    /// <summary>Whether the memory went back (sealed and every slot returned).</summary>
    public bool IsReleased => _memory.IsReleased;

    private Span<float> All => MemoryMarshal.Cast<byte, float>(_memory.Span(checked(4 * RowLength * _rows), nameof(Tensor)));

    /// <summary>Slot <paramref name="slot"/>'s floats.</summary>
    public Span<float> Row(int slot) => All.Slice(slot * RowLength, RowLength);

    /// <summary>The floats of <paramref name="count"/> slots from <paramref name="first"/>, back to back.</summary>
    public Span<float> Rows(int first, int count) => All.Slice(first * RowLength, count * RowLength);

    /// <summary>The next free slot as a tensor, or null when the slab is full.</summary>
    public Tensor? TryClaim()
    {
        if (_claimed == _rows) return null;
        Interlocked.Increment(ref _refs);
        return new Tensor(this, _claimed++);
    }

    /// <summary>No more claims: the memory goes back once the claimed slots have.</summary>
    public void Seal() => Unref();

    /// <summary>A slot's tensor was disposed.</summary>
    public void Return(Tensor tensor) => Unref();

    private void Unref()
    {
        if (Interlocked.Decrement(ref _refs) == 0) _memory.Release();
    }
}

/// <summary>
/// Lays the tensors a CPU worker rents for one morsel's rows out in one batch buffer (<see cref="TensorSlab"/>),
/// slot after slot, when the rows go on to a batch stage: a batch made of consecutive rows of a morsel is
/// then one contiguous span that a model takes as its batch input as it is (<see cref="Tensor.TryGetContiguous"/>),
/// without the per-row copy. The executor installs one per CPU worker upstream of a batch stage and
/// starts a new slab for each input morsel.
/// </summary>
/// <remarks>
/// A slab holds its whole memory until every slot in it was disposed: rows dropped or failed before they
/// claimed a slot leave nothing held, and a slab never exceeds a quarter of the memory limit (smaller
/// morsels get slabs of their own size). Tensors of another length than the slab's (a second tensor
/// column) get buffers of their own.
/// </remarks>
internal sealed class TensorSlots
{
    [ThreadStatic] private static TensorSlots? t_current;
    private TensorSlab? _slab;
    private int _rows;

    /// <summary>The slots of the CPU worker running on this thread (null: tensors get buffers of their own).</summary>
    public static TensorSlots? Current
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>Slabs made so far (a measure for tests and the run report).</summary>
    public long SlabsMade { get; private set; }

    /// <summary>A new input morsel of <paramref name="rows"/> rows: the next tensor starts a new slab of that many slots.</summary>
    public void Begin(int rows)
    {
        Seal();
        _rows = rows;
    }

    /// <summary>The next slot for a tensor of <paramref name="length"/> floats, or null for a buffer of its own.</summary>
    public Tensor? TryRent(int length, CancellationToken cancellationToken)
    {
        if (_slab is { } slab)
        {
            if (slab.RowLength != length) return null;
            if (slab.TryClaim() is { } tensor) return tensor;
            Seal();
        }
        long rowBytes = 4L * length;
        long rows = Math.Min(_rows, MemoryBudget.Current.Limit / 4 / rowBytes);
        if (rows < 2 || rows * rowBytes > Array.MaxLength) return null;
        var memory = PayloadMemory.Rent(rows * rowBytes, cancellationToken);
        _slab = new TensorSlab(memory, length, (int)rows);
        SlabsMade++;
        return _slab.TryClaim();
    }

    /// <summary>Seals the current slab (no more claims); the worker's morsel ended.</summary>
    public void Seal()
    {
        _slab?.Seal();
        _slab = null;
    }
}
