using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// The C library's heap, as far as a bounded run needs it: on glibc, every run fixes malloc's mmap threshold at
/// <see cref="MmapThreshold"/>. glibc's default threshold moves: each freed block that was mmapped raises it to
/// that block's size (up to 32 MiB), so afterwards blocks below it come from the per-thread heaps, which keep
/// freed memory. The native libraries a pipeline calls (libjpeg-turbo's image buffers, ONNX Runtime's
/// allocations) free such blocks all the time; measured on the 10,000-image classification run at
/// <c>--memory-limit 512MB</c>, the peak resident set was 1.66 GB with the moving threshold and 1.29 GB with
/// it fixed, at the same speed (benchmarks/RESULTS.md, section 7). A fixed threshold maps every block of
/// 128 KiB or more on its own and unmaps it when freed.
/// <para>
/// Skipped when the process sets <c>MALLOC_MMAP_THRESHOLD_</c> itself, when <c>SLUICE_MALLOC_TUNING=0</c>,
/// and off glibc (no <c>mallopt</c> in libc.so.6).
/// </para>
/// </summary>
public static unsafe class NativeHeap
{
    /// <summary>The threshold a run fixes: glibc's own starting value, 128 KiB.</summary>
    public const int MmapThreshold = 128 * 1024;

    private const int M_MMAP_THRESHOLD = -3;
    private static readonly Lazy<bool> s_fixed = new(FixOnce);

    /// <summary>Whether malloc's mmap threshold is fixed in this process (fixes it the first time, once).</summary>
    public static bool FixMmapThreshold() => s_fixed.Value;

    private static bool FixOnce()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return false;
        if (Environment.GetEnvironmentVariable("SLUICE_MALLOC_TUNING") == "0") return false;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt))
            return false;
        return ((delegate* unmanaged<int, int, int>)mallopt)(M_MMAP_THRESHOLD, MmapThreshold) == 1;
    }
}
