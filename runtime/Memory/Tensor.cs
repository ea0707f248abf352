using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// Floats over a pooled array, counted by the run's <see cref="MemoryBudget"/> like <see cref="Blob"/>:
/// a per-row tensor (an image's normalized pixels, an embedding) that the pipeline disposes right
/// after the column's last reader, so tensors in flight stay under <c>--memory-limit</c>.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly PayloadMemory _memory;

    private Tensor(PayloadMemory memory, int length)
    {
        _memory = memory;
        Length = length;
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The values.</summary>
    public Span<float> Span => MemoryMarshal.Cast<byte, float>(_memory.Span(4 * Length, nameof(Tensor)));

    /// <summary>Rents <paramref name="length"/> floats (not cleared), waiting while the current budget is spent.</summary>
    public static Tensor Rent(int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new Tensor(PayloadMemory.Rent(4L * length, cancellationToken), length);
    }

    /// <summary>Returns the buffer to the pool and the bytes to the budget. Safe to call twice.</summary>
    public void Dispose() => _memory.Release();
}
