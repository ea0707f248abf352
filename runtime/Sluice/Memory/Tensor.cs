using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// Floats over pooled memory, counted by the run's <see cref="MemoryBudget"/> like <see cref="Blob"/>:
/// a per-row tensor (an image's normalized pixels, an embedding) that the pipeline disposes right
/// after the column's last reader, so tensors in flight stay under <c>--memory-limit</c>.
/// A tensor is either a buffer of its own (<see cref="Rent"/>) or one slot of a batch buffer that the
/// runtime lays out for rows bound for a batch stage (<see cref="TensorSlots"/>): rows filled into consecutive slots of
/// one batch buffer are the batch's input as they are (<see cref="TryGetContiguous"/>), with no copy.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly PayloadMemory? _memory;
    private readonly TensorSlab? _slab;
    private readonly int _slot;
    private int _disposed;
    private bool _arrived;

    private Tensor(PayloadMemory memory, int length)
    {
        _memory = memory;
        Length = length;
    }

    internal Tensor(TensorSlab slab, int slot)
    {
        _slab = slab;
        _slot = slot;
        Length = slab.RowLength;
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The values.</summary>
    public Span<float> Span => _slab is { } slab
        ? (Volatile.Read(ref _disposed) == 0 ? slab.Row(_slot) : throw Disposed())
        : MemoryMarshal.Cast<byte, float>(_memory!.Span(4 * Length, nameof(Tensor)));

    /// <summary>Whether the tensor was disposed.</summary>
    public bool IsDisposed => _slab is not null ? Volatile.Read(ref _disposed) != 0 : _memory!.IsReleased;

    /// <summary>
    /// Rents <paramref name="length"/> floats (not cleared), waiting while the current budget is spent. In a
    /// stage whose rows go on to a batch stage, the tensor is the next slot of a batch buffer shared by the
    /// batch's rows (<see cref="TensorSlots"/>), so a batch of them needs no copy into a batch input.
    /// </summary>
    public static Tensor Rent(int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > 0 && TensorSlots.Current?.TryRent(length, cancellationToken) is { } slot) return slot;
        return new Tensor(PayloadMemory.Rent(4L * length, cancellationToken), length);
    }

    /// <summary>
    /// Rents <paramref name="length"/> floats and fills them with <paramref name="fill"/>; a fill that throws
    /// gives the tensor back before the exception goes on (a failed row holds no memory).
    /// </summary>
    public static Tensor Create<TState>(int length, TState state, Action<TState, Span<float>> fill, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var tensor = Rent(length, cancellationToken);
        try
        {
            fill(state, tensor.Span);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Whether this tensor is a slot of a batch buffer shared with other rows (rather than a buffer of its own).</summary>
    public bool IsBatchSlot => _slab is not null;

    /// <summary>The batch buffer this tensor is a slot of (null for a buffer of its own).</summary>
    internal TensorSlab? Slab => _slab;

    /// <summary>This tensor's slot in <see cref="Slab"/>.</summary>
    internal int Slot => _slot;

    /// <summary>Marks that the row reached its batch stage's feeder: a dispose from now on is no hole in the batch.</summary>
    internal void MarkArrived() => Volatile.Write(ref _arrived, true);

    /// <summary>
    /// Whether <paramref name="tensors"/> lie back to back, in order, in one buffer; then
    /// <paramref name="values"/> covers them all (a batch input needing no copy). A single tensor always does.
    /// </summary>
    public static bool TryGetContiguous(ReadOnlySpan<Tensor> tensors, out Span<float> values)
    {
        values = default;
        if (tensors.Length == 0) return false;
        var first = tensors[0];
        if (tensors.Length == 1)
        {
            values = first.Span;
            return true;
        }
        if (first._slab is not { } slab) return false;
        for (int i = 1; i < tensors.Length; i++)
        {
            var t = tensors[i];
            if (!ReferenceEquals(t._slab, slab) || t._slot != first._slot + i || t.IsDisposed) return false;
        }
        if (first.IsDisposed) return false;
        values = slab.Rows(first._slot, tensors.Length);
        return true;
    }

    /// <summary>Returns the buffer to the pool and the bytes to the budget (for a slot, once every slot of its batch buffer is back). Safe to call twice.</summary>
    public void Dispose()
    {
        if (_slab is { } slab)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) slab.Return(Volatile.Read(ref _arrived));
        }
        else _memory!.Release();
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(Tensor), "The tensor was disposed: its column was dropped after its last reader.");
}
