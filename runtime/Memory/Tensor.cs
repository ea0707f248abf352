using System.Buffers;

namespace Sluice;

/// <summary>
/// Floats over a pooled array, counted by the run's <see cref="MemoryBudget"/> like <see cref="Blob"/>:
/// a per-row tensor (an image's normalized pixels, an embedding) that the pipeline disposes right
/// after the column's last reader, so tensors in flight stay under <c>--memory-limit</c>.
/// </summary>
public sealed class Tensor : IDisposable
{
    private float[]? _array;
    private readonly BudgetLease _lease;

    private Tensor(float[] array, int length, BudgetLease lease)
    {
        _array = array;
        Length = length;
        _lease = lease;
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The values.</summary>
    public Span<float> Span => (_array ?? throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed: its column was dropped after its last reader.")).AsSpan(0, Length);

    /// <summary>Rents <paramref name="length"/> floats (not cleared), waiting while the current budget is spent.</summary>
    public static Tensor Rent(int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var lease = BudgetLease.Acquire(4L * length, cancellationToken);
        return new Tensor(ArrayPool<float>.Shared.Rent(length), length, lease);
    }

    /// <summary>Returns the array to the pool and the bytes to the budget. Safe to call twice.</summary>
    public void Dispose()
    {
        var a = Interlocked.Exchange(ref _array, null);
        if (a is null) return;
        ArrayPool<float>.Shared.Return(a);
        _lease.Release();
    }
}
