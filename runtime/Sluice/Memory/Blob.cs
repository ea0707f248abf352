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

    /// <summary>
    /// Reads <paramref name="stream"/> to its end into a blob. With <paramref name="lengthHint"/> (a Content-Length)
    /// the blob is that size and the stream must be exactly that long. Without one the body is read in budget-counted
    /// chunks (64 KiB, doubling to 1 MiB), so a body that turns out too large has held no more than what was read,
    /// and then copied into one blob of its size. A wait for budget ends with the token (pass the attempt's timeout):
    /// then <see cref="MemoryBudgetWaitException"/> names the size and the limit; a body larger than the whole limit
    /// fails at once with <see cref="MemoryBudgetExceededException"/>.
    /// </summary>
    public static async ValueTask<Blob> ReadAllAsync(Stream stream, long? lengthHint, CancellationToken cancellationToken = default)
    {
        if (lengthHint is > int.MaxValue) throw new InvalidDataException($"A payload of {lengthHint} bytes is too large for one blob.");
        if (lengthHint is long known) return await ReadKnownAsync(stream, (int)known, cancellationToken).ConfigureAwait(false);
        var chunks = new List<Blob>();
        long total = 0;
        int chunkSize = 64 * 1024;
        try
        {
            while (true)
            {
                var chunk = await RentForAsync(chunkSize, total, cancellationToken).ConfigureAwait(false);
                chunks.Add(chunk);
                int filled = 0;
                while (filled < chunk.Length)
                {
                    int n = await stream.ReadAsync(chunk.Memory[filled..], cancellationToken).ConfigureAwait(false);
                    if (n == 0) break;
                    filled += n;
                }
                total += filled;
                if (total > int.MaxValue) throw new InvalidDataException($"A payload of more than {int.MaxValue} bytes is too large for one blob.");
                bool end = filled < chunk.Length;
                chunk.Length = filled;
                if (end) break;
                chunkSize = Math.Min(chunkSize * 2, 1 << 20);
            }
            if (chunks.Count == 1)
            {
                var only = chunks[0];
                chunks.Clear();
                return only;
            }
            var whole = await RentForAsync((int)total, total, cancellationToken).ConfigureAwait(false);
            int at = 0;
            foreach (var c in chunks)
            {
                c.Span.CopyTo(whole.Span[at..]);
                at += c.Length;
            }
            return whole;
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    private static async ValueTask<Blob> ReadKnownAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var blob = await RentForAsync(length, 0, cancellationToken).ConfigureAwait(false);
        int filled = 0;
        try
        {
            while (filled < length)
            {
                int n = await stream.ReadAsync(blob.Memory[filled..], cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new InvalidDataException($"The stream ended after {filled} of {length} declared bytes (truncated).");
                filled += n;
            }
            // Expected size reached: make sure the stream really ends here.
            var probe = new byte[1];
            if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) != 0)
                throw new InvalidDataException($"The stream is longer than its declared length of {length} bytes.");
            return blob;
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    // A buffer of `length` more bytes for a body of which `held` bytes are held already: refused at once when
    // the two can never fit the whole limit, and a wait for budget that the token ends says so.
    private static async ValueTask<Blob> RentForAsync(int length, long held, CancellationToken cancellationToken)
    {
        var budget = MemoryBudget.Current;
        if (held + length > budget.Limit) throw new MemoryBudgetExceededException(held + length, budget.Limit);
        try { return await RentAsync(length, cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new MemoryBudgetWaitException(length, held, budget.Limit, budget.InFlight, e);
        }
    }

    /// <summary>Returns the buffer to the pool and the bytes to the budget. Safe to call twice.</summary>
    public void Dispose() => _memory.Release();
}
