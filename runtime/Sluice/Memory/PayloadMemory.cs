using System.Buffers;

namespace Sluice;

/// <summary>
/// The memory under one payload (<see cref="Blob"/>, <see cref="Tensor"/>): bytes taken from the budget
/// of the stage that is running (the ambient <see cref="MemoryBudget.Current"/>) at the size of the
/// buffer really handed out, remembered with the segment that took them so they go back to the same
/// tier, and the buffer: a pooled managed array up to 64 KiB, a <see cref="NativeBuffer"/> above.
/// </summary>
internal sealed class PayloadMemory
{
    private readonly MemoryBudget _budget;
    private readonly int _segment;
    private readonly long _charged;
    private byte[]? _array;
    private NativeBuffer? _native;
    private int _released;

    private PayloadMemory(MemoryBudget budget, int segment, long charged, long classBytes)
    {
        _budget = budget;
        _segment = segment;
        _charged = charged;
        if (classBytes <= MemoryBudget.SmallPayloadBytes) _array = ArrayPool<byte>.Shared.Rent((int)classBytes);
        else _native = budget.TakeBuffer(classBytes);
    }

    /// <summary>Whether <see cref="Release"/> ran.</summary>
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Takes <paramref name="bytes"/> (rounded up to their size class), blocking while the budget is spent.</summary>
    public static PayloadMemory Rent(long bytes, CancellationToken cancellationToken)
    {
        var budget = MemoryBudget.Current;
        long classBytes = Charge(budget, bytes, out long charged);
        budget.Acquire(charged, cancellationToken);
        return Make(budget, MemoryBudget.CurrentSegment, charged, classBytes);
    }

    /// <summary>As <see cref="Rent"/>, waiting asynchronously.</summary>
    public static async ValueTask<PayloadMemory> RentAsync(long bytes, CancellationToken cancellationToken)
    {
        var budget = MemoryBudget.Current;
        int segment = MemoryBudget.CurrentSegment;
        long classBytes = Charge(budget, bytes, out long charged);
        await budget.AcquireAsync(charged, cancellationToken).ConfigureAwait(false);
        return Make(budget, segment, charged, classBytes);
    }

    private static PayloadMemory Make(MemoryBudget budget, int segment, long charged, long classBytes)
    {
        try { return new PayloadMemory(budget, segment, charged, classBytes); }
        catch
        {
            budget.Release(charged, segment);
            throw;
        }
    }

    private static long Charge(MemoryBudget budget, long bytes, out long charged)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > budget.Limit) throw new MemoryBudgetExceededException(bytes, budget.Limit);
        if (bytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(bytes), $"A payload of {bytes:N0} bytes is larger than one buffer can hold.");
        long classBytes = MemoryBudget.SizeClass(bytes);
        charged = Math.Min(classBytes, budget.Limit);
        return classBytes;
    }

    /// <summary>The first <paramref name="length"/> bytes.</summary>
    public unsafe Span<byte> Span(int length, string owner)
    {
        if (_native is { } n) return new Span<byte>(n.Pointer, length);
        return (_array ?? throw Disposed(owner)).AsSpan(0, length);
    }

    /// <summary>The first <paramref name="length"/> bytes as memory.</summary>
    public Memory<byte> Memory(int length, string owner)
    {
        if (_native is { } n) return n.Memory[..length];
        return (_array ?? throw Disposed(owner)).AsMemory(0, length);
    }

    /// <summary>Gives the bytes back to the budget and the buffer to its pool, once.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        var array = _array;
        var native = _native;
        _array = null;
        _native = null;
        _budget.Release(_charged, _segment);
        if (array is not null) ArrayPool<byte>.Shared.Return(array);
        if (native is not null) _budget.ReturnBuffer(native);
    }

    private static ObjectDisposedException Disposed(string owner) =>
        new(owner, $"The {owner.ToLowerInvariant()} was disposed: its column was dropped after its last reader.");
}
