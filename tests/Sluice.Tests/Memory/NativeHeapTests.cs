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

        // Freeing a 16 MiB mapped block would raise glibc's moving threshold to 16 MiB; fixed, 256 KiB blocks
        // are still mapped on their own. glibc marks such a chunk in its size word (just before the pointer)
        // with bit 1, IS_MMAPPED. A free chunk of 256 KiB left in the thread's arena by earlier tests may serve
        // one or two of them from the heap, so 64 are taken: with the moving threshold none would be mapped.
        // Marshal.AllocHGlobal is malloc on Unix.
        IntPtr big = Marshal.AllocHGlobal(16 << 20);
        Marshal.FreeHGlobal(big);
        var blocks = new IntPtr[64];
        try
        {
            for (int i = 0; i < blocks.Length; i++) blocks[i] = Marshal.AllocHGlobal(256 << 10);
            int mapped = blocks.Count(b => (Marshal.ReadInt64(b, -8) & 2) != 0);
            Assert.True(mapped >= 56, $"only {mapped} of 64 blocks of 256 KiB were mapped on their own; the others came from the heap");
        }
        finally
        {
            foreach (var b in blocks) if (b != IntPtr.Zero) Marshal.FreeHGlobal(b);
        }
    }
}
