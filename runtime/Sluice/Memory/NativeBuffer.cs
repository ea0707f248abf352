using System.Buffers;
using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// A block of memory outside the managed heap, for large payloads. On Linux it is its own anonymous
/// mapping, so freeing it gives the pages back to the operating system at once (no heap fragmentation,
/// no wait for a garbage collection): the memory the process holds for payloads is what the budget
/// counts. Elsewhere it comes from <see cref="NativeMemory"/>. Buffers are pooled by their
/// <see cref="MemoryBudget"/>. There is no finalizer (a span over the block does not keep it alive, so
/// one could free memory still in use): a payload that is never disposed leaks its block, as it also
/// keeps its bytes from the budget.
/// </summary>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private byte* _pointer;

    private NativeBuffer(byte* pointer, long bytes)
    {
        _pointer = pointer;
        Bytes = bytes;
    }

    /// <summary>The size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>The start of the block.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(NativeBuffer));

    /// <summary>Maps <paramref name="bytes"/> bytes (not cleared on other systems than Linux).</summary>
    public static NativeBuffer Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        if (bytes > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(bytes), "A payload buffer holds at most 2 GiB.");
        byte* p;
        if (OperatingSystem.IsLinux())
        {
            p = (byte*)Mmap(null, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (p == MapFailed)
                throw new OutOfMemoryException($"Cannot map {bytes:N0} bytes for a payload (errno {Marshal.GetLastPInvokeError()}).");
        }
        else
        {
            p = (byte*)NativeMemory.Alloc((nuint)bytes);
        }
        return new NativeBuffer(p, bytes);
    }

    /// <summary>Frees the block now.</summary>
    public void Free()
    {
        var p = _pointer;
        if (p == null) return;
        _pointer = null;
        if (OperatingSystem.IsLinux()) Munmap(p, (nuint)Bytes);
        else NativeMemory.Free(p);
    }

    public override Span<byte> GetSpan() => new(Pointer, (int)Bytes);

    public override MemoryHandle Pin(int elementIndex = 0) => new(Pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing) => Free();

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 0x02, MapAnonymous = 0x20;
    private static readonly void* MapFailed = (void*)-1;

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern void* Mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(void* addr, nuint length);
}
