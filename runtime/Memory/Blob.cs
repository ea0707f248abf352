using System.Buffers;

namespace Sluice;

/// <summary>
/// Bytes over a pooled array, counted by the run's <see cref="MemoryBudget"/>. The pipeline owns a
/// blob column: it is disposed (its array returned, its bytes released) right after the column's last reader.
/// </summary>
public sealed class Blob : IDisposable
{
    private byte[]? _array;
    private readonly BudgetLease _lease;

    private Blob(byte[] array, int length, BudgetLease lease)
    {
        _array = array;
        Length = length;
        _lease = lease;
    }

    /// <summary>The number of bytes.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes.</summary>
    public Span<byte> Span => Array.AsSpan(0, Length);

    /// <summary>The bytes as memory.</summary>
    public Memory<byte> Memory => Array.AsMemory(0, Length);

    /// <summary>Whether the blob was disposed.</summary>
    public bool IsDisposed => _array is null;

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(Blob), "The blob was disposed: its column was dropped after its last reader.");

    /// <summary>Rents <paramref name="length"/> bytes, waiting while the current budget is spent.</summary>
    public static Blob Rent(int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var lease = BudgetLease.Acquire(length, cancellationToken);
        return new Blob(ArrayPool<byte>.Shared.Rent(length), length, lease);
    }

    /// <summary>Rents <paramref name="length"/> bytes, waiting asynchronously while the current budget is spent.</summary>
    public static async ValueTask<Blob> RentAsync(int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var lease = await BudgetLease.AcquireAsync(length, cancellationToken).ConfigureAwait(false);
        return new Blob(ArrayPool<byte>.Shared.Rent(length), length, lease);
    }

    /// <summary>A blob holding a copy of <paramref name="bytes"/>.</summary>
    public static Blob CopyOf(ReadOnlySpan<byte> bytes)
    {
        var b = Rent(bytes.Length);
        bytes.CopyTo(b.Span);
        return b;
    }

    /// <summary>Reads a stream to its end into a blob. <paramref name="lengthHint"/> (e.g. Content-Length) sizes it up front.</summary>
    public static async ValueTask<Blob> ReadAllAsync(Stream stream, long? lengthHint, CancellationToken cancellationToken = default)
    {
        if (lengthHint is > int.MaxValue) throw new InvalidDataException($"A payload of {lengthHint} bytes is too large for one blob.");
        var blob = await RentAsync((int)(lengthHint ?? 64 * 1024), cancellationToken).ConfigureAwait(false);
        int filled = 0;
        try
        {
            while (true)
            {
                if (filled == blob.Length)
                {
                    if (lengthHint is not null && filled == lengthHint)
                    {
                        // Expected size reached: make sure the stream really ends here.
                        var probe = new byte[1];
                        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0) break;
                        throw new InvalidDataException($"The stream is longer than its declared length of {lengthHint} bytes.");
                    }
                    var bigger = await RentAsync(checked(Math.Max(blob.Length * 2, 4096)), cancellationToken).ConfigureAwait(false);
                    blob.Span.CopyTo(bigger.Span);
                    blob.Dispose();
                    blob = bigger;
                }
                int n = await stream.ReadAsync(blob.Array.AsMemory(filled, blob.Length - filled), cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
            }
            if (lengthHint is not null && filled != lengthHint)
                throw new InvalidDataException($"The stream ended after {filled} of {lengthHint} declared bytes (truncated).");
            blob.Length = filled;
            return blob;
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    /// <summary>Returns the array to the pool and the bytes to the budget. Safe to call twice.</summary>
    public void Dispose()
    {
        var a = Interlocked.Exchange(ref _array, null);
        if (a is null) return;
        ArrayPool<byte>.Shared.Return(a);
        _lease.Release();
    }
}
