using System.Runtime.InteropServices;
using Xunit;

namespace Sluice.Tests.Memory;

public class NativeHeapTests
{
    [Fact]
    public async Task After_a_run_blocks_over_the_threshold_are_mapped_on_their_own_even_after_big_frees()
    {
        // The project's machines and CI are Debian (glibc); the check itself is glibc's.
        Assert.True(OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc)
                    && NativeLibrary.TryGetExport(libc, "mallopt", out _), "not glibc");
        Assert.Null(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_"));

        var rows = await Runtime.Words.Create().RunAsync(new[] { new Runtime.Doc("a b", 1) });
        Assert.Equal(2, rows.Count);
        Assert.True(NativeHeap.FixMmapThreshold());

        // Freeing a 16 MiB mapped block would raise glibc's moving threshold to 16 MiB; fixed, a 256 KiB
        // block is still mapped on its own. glibc marks such a chunk in its size word (just before the
        // pointer) with bit 1, IS_MMAPPED.
        // Marshal.AllocHGlobal is malloc on Unix.
        IntPtr big = Marshal.AllocHGlobal(16 << 20);
        Marshal.FreeHGlobal(big);
        IntPtr block = Marshal.AllocHGlobal(256 << 10);
        try
        {
            long sizeWord = Marshal.ReadInt64(block, -8);
            Assert.True((sizeWord & 2) != 0, $"the 256 KiB block came from the heap (size word 0x{sizeWord:x})");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }
}
