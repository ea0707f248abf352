namespace Sluice;

/// <summary>
/// Bytes in pooled memory, counted by the run's <see cref="MemoryBudget"/> at the size of the buffer it holds
/// (managed up to 64 KiB, native above: see the remarks on <see cref="MemoryBudget"/>). The pipeline owns a
/// blob column: it is disposed (its array returned, its bytes released) right after the column's last reader.
/// </summary>
public sealed class Blob : IDisposable
{
    private readonly PayloadMemory _memory;

    private Blob(PayloadMemory memory, int length)
    {
        _memory = memory;
        Length = length;
    }

    /// <summary>The number of bytes.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes.</summary>
    public Span<byte> Span => _memory.Span(Length, nameof(Blob));

    /// <summary>The bytes as memory.</summary>
    public Memory<byte> Memory => _memory.Memory(Length, nameof(Blob));

    /// <summary>Whether the blob was disposed.</summary>
    public bool IsDisposed => _memory.IsReleased;

    /// <summary>Rents <paramref name="length"/> bytes (not cleared), waiting while the current budget is spent.</summary>
    public static Blob Rent(int length, CancellationToken cancellationToken = default) =>
        new(PayloadMemory.Rent(length, cancellationToken), length);

    /// <summary>Rents <paramref name="length"/> bytes (not cleared), waiting asynchronously while the current budget is spent.</summary>
    public static async ValueTask<Blob> RentAsync(int length, CancellationToken cancellationToken = default) =>
        new(await PayloadMemory.RentAsync(length, cancellationToken).ConfigureAwait(false), length);

    /// <summary>A blob holding a copy of <paramref name="bytes"/>.</summary>
    public static Blob CopyOf(ReadOnlySpan<byte> bytes)
    {
        var b = Rent(bytes.Length);
        bytes.CopyTo(b.Span);
        return b;
    }

    /// <summary>Reads a whole file into a blob (one read into pooled memory, no intermediate array).</summary>
    public static Blob ReadFile(string path, CancellationToken cancellationToken = default)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        if (length > Array.MaxLength) throw new InvalidDataException($"'{path}' is {length:N0} bytes, too large for one blob.");
        var blob = Rent((int)length, cancellationToken);
        try
        {
            int filled = 0;
            while (filled < blob.Length)
            {
                int n = RandomAccess.Read(file, blob.Span[filled..], filled);
                if (n == 0) throw new InvalidDataException($"'{path}' ended after {filled:N0} of {length:N0} bytes (it shrank while being read).");
                filled += n;
            }
            return blob;
        }
        catch
        {
            blob.Dispose();
            throw;
        }
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
                int n = await stream.ReadAsync(blob.Memory[filled..], cancellationToken).ConfigureAwait(false);
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

    /// <summary>Returns the buffer to the pool and the bytes to the budget. Safe to call twice.</summary>
    public void Dispose() => _memory.Release();
}
