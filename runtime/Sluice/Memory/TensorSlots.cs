using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// One batch buffer shared by the tensors of consecutive rows: slot k holds floats
/// [k × RowLength, (k + 1) × RowLength). Its memory is one budget-counted <see cref="PayloadMemory"/>,
/// released when the slab is sealed (no more claims) and every claimed slot was disposed. Any thread may
/// claim, seal or dispose.
/// </summary>
internal sealed class TensorSlab
{
    private const int SealedBit = 1 << 30;
    private readonly PayloadMemory _memory;
    private int _state;    // claimed slots | SealedBit
    private int _refs = 1; // the open reference, dropped when the slab is sealed
    private int _holes;

    public TensorSlab(TensorSlots owner, long sequence, PayloadMemory memory, int rowLength, int rows)
    {
        Owner = owner;
        Sequence = sequence;
        _memory = memory;
        RowLength = rowLength;
        Capacity = rows;
    }

    /// <summary>The slots this slab came from.</summary>
    public TensorSlots Owner { get; }

    /// <summary>The order slabs were made in.</summary>
    public long Sequence { get; }

    /// <summary>Floats per slot.</summary>
    public int RowLength { get; }

    /// <summary>Slots in all.</summary>
    public int Capacity { get; }

    /// <summary>Slots claimed so far.</summary>
    public int Claimed => Volatile.Read(ref _state) & ~SealedBit;

    /// <summary>Whether no more slots can be claimed (it is full, or was sealed).</summary>
    public bool IsSealed => (Volatile.Read(ref _state) & SealedBit) != 0;

    /// <summary>Claimed slots whose tensors were disposed before their rows reached the batch stage (rows that failed or were dropped).</summary>
    public int Holes => Volatile.Read(ref _holes);

    /// <summary>Whether the memory went back (sealed and every slot returned).</summary>
    public bool IsReleased => _memory.IsReleased;

    private Span<float> All => MemoryMarshal.Cast<byte, float>(_memory.Span(checked(4 * RowLength * Capacity), nameof(Tensor)));

    /// <summary>Slot <paramref name="slot"/>'s floats.</summary>
    public Span<float> Row(int slot) => All.Slice(slot * RowLength, RowLength);

    /// <summary>The floats of <paramref name="count"/> slots from <paramref name="first"/>, back to back.</summary>
    public Span<float> Rows(int first, int count) => All.Slice(first * RowLength, count * RowLength);

    /// <summary>The next free slot as a tensor, or null when the slab is sealed; the claim that fills the slab seals it.</summary>
    public Tensor? TryClaim()
    {
        Interlocked.Increment(ref _refs);
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & SealedBit) != 0)
            {
                Unref();
                return null;
            }
            int claimed = state + 1;
            int next = claimed == Capacity ? claimed | SealedBit : claimed;
            if (Interlocked.CompareExchange(ref _state, next, state) != state) continue;
            if (claimed == Capacity) Unref(); // sealed by this claim: the open reference goes
            return new Tensor(this, claimed - 1);
        }
    }

    /// <summary>No more claims: the memory goes back once the claimed slots have. Safe to call more than once.</summary>
    public void Seal()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if ((state & SealedBit) != 0) return;
            if (Interlocked.CompareExchange(ref _state, state | SealedBit, state) != state) continue;
            Unref();
            return;
        }
    }

    /// <summary>A slot's tensor was disposed (<paramref name="arrived"/>: after its row reached the batch stage).</summary>
    public void Return(bool arrived)
    {
        if (!arrived) Interlocked.Increment(ref _holes);
        Unref();
    }

    /// <summary>Gives back the memory of a slab that was never handed out.</summary>
    public void Discard()
    {
        Seal();
    }

    private void Unref()
    {
        if (Interlocked.Decrement(ref _refs) == 0) _memory.Release();
    }
}

/// <summary>
/// Lays the tensors a CPU segment rents upstream of a batch stage out in batch buffers (<see cref="TensorSlab"/>)
/// of the batch stage's size, slot after slot in the order the rows take them, whichever worker runs them.
/// The batch stage's feeder puts each row into its batch at its slot (<see cref="BatchSegment.SlotTensor"/>),
/// so a batch is one contiguous span that a model takes as its input as it is
/// (<see cref="Tensor.TryGetContiguous"/>), without the per-row copy.
/// </summary>
/// <remarks>
/// A slab holds its whole memory from its first claim until its batch ran and every slot was disposed.
/// A row that fails or is dropped between its tensor and the batch stage leaves a hole: its batch is sent
/// without it, compacted, and the model's helper copies that batch. Slabs never exceed a quarter of the
/// memory limit (no slots then: each tensor gets a buffer of its own), and tensors of another length than
/// the first (a second tensor column) get buffers of their own. Never used for ordered output: rows take
/// slots in the order the workers reach them, not the input's.
/// </remarks>
internal sealed class TensorSlots(int rowsPerSlab)
{
    [ThreadStatic] private static TensorSlots? t_current;
    private TensorSlab? _current;
    private int _rowLength;
    private long _sequence;

    /// <summary>The slots of the CPU worker running on this thread (null: tensors get buffers of their own).</summary>
    public static TensorSlots? Current
    {
        get => t_current;
        set => t_current = value;
    }

    /// <summary>Slots per slab: the batch stage's batch size.</summary>
    public int RowsPerSlab { get; } = rowsPerSlab;

    /// <summary>Slabs made so far.</summary>
    public long SlabsMade => Interlocked.Read(ref _sequence);

    /// <summary>The slab taking claims now (null before the first).</summary>
    public TensorSlab? Open => Volatile.Read(ref _current);

    /// <summary>The next slot for a tensor of <paramref name="length"/> floats, or null for a buffer of its own.</summary>
    public Tensor? TryRent(int length, CancellationToken cancellationToken)
    {
        int rowLength = Volatile.Read(ref _rowLength);
        if (rowLength == 0) rowLength = Interlocked.CompareExchange(ref _rowLength, length, 0) is 0 ? length : Volatile.Read(ref _rowLength);
        if (rowLength != length || RowsPerSlab < 2) return null;
        long bytes = 4L * length * RowsPerSlab;
        if (bytes > MemoryBudget.Current.Limit / 4 || bytes > Array.MaxLength) return null;
        while (true)
        {
            var slab = Volatile.Read(ref _current);
            if (slab?.TryClaim() is { } tensor) return tensor;
            // A new slab. Its memory is taken outside any lock: the wait for it lets this worker's finished
            // rows go on (MemoryBudget's before-wait), which may be what frees that memory.
            var memory = PayloadMemory.Rent(bytes, cancellationToken);
            var fresh = new TensorSlab(this, Interlocked.Increment(ref _sequence), memory, length, RowsPerSlab);
            if (Interlocked.CompareExchange(ref _current, fresh, slab) != slab) fresh.Discard(); // another worker was first
        }
    }

    /// <summary>Seals the open slab (the batch feeder's, when rows stall or the input ends).</summary>
    public void SealOpen() => Volatile.Read(ref _current)?.Seal();
}
