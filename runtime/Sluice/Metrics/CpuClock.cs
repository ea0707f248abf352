using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// CPU time, for stage times that add up to the CPU a run used: the calling thread's (Linux and macOS:
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>; elsewhere wall time stands in), the process's, and that of
/// threads a stage's resources started (ONNX Runtime's intra-op pool), found in <c>/proc/self/task</c>.
/// </summary>
internal static partial class CpuClock
{
    private const int CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private static readonly bool s_posix = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>Whether <see cref="Thread"/> is real CPU time (else wall time).</summary>
    public static bool Measured => s_posix;

    /// <summary>Nanoseconds of CPU the calling thread has used (wall nanoseconds where that cannot be read).</summary>
    public static long Thread()
    {
        if (s_posix && ClockGetTime(CLOCK_THREAD_CPUTIME_ID, out var t) == 0) return t.Seconds * 1_000_000_000L + t.Nanoseconds;
        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>Nanoseconds of CPU the process has used, every thread together.</summary>
    public static long Process()
    {
        if (s_posix && ClockGetTime(CLOCK_PROCESS_CPUTIME_ID, out var t) == 0) return t.Seconds * 1_000_000_000L + t.Nanoseconds;
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return p.TotalProcessorTime.Ticks * 100;
    }

    /// <summary>The process's thread ids now (Linux), or an empty set.</summary>
    public static HashSet<int> Threads()
    {
        var ids = new HashSet<int>();
        if (!OperatingSystem.IsLinux()) return ids;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
                if (int.TryParse(Path.GetFileName(dir), out int id)) ids.Add(id);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return ids;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> s_runtimeThreads = new();

    /// <summary>Records the calling thread as one of Sluice's own (its workers), never a resource's.</summary>
    public static void RegisterRuntimeThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        try { s_runtimeThreads.TryAdd(GetTid(), 0); }
        catch (EntryPointNotFoundException) { }
    }

    /// <summary>
    /// The threads in <paramref name="after"/> but not <paramref name="before"/> that code on the calling thread started:
    /// not Sluice's own workers, and named as the calling thread (a new thread inherits its creator's name) or by no
    /// one in .NET (".NET TP Worker", ".NET BGC" are the runtime's threads, started meanwhile).
    /// </summary>
    public static List<int> NativeThreadsStarted(HashSet<int> before, HashSet<int> after)
    {
        var started = new List<int>();
        string? creator = Comm("/proc/thread-self/comm");
        foreach (int id in after)
        {
            if (before.Contains(id) || s_runtimeThreads.ContainsKey(id)) continue;
            if (Comm($"/proc/self/task/{id}/comm") is not { } name) continue;
            if (name != creator && name.StartsWith(".NET", StringComparison.Ordinal)) continue;
            started.Add(id);
        }
        return started;

        static string? Comm(string path)
        {
            try { return File.ReadAllText(path).TrimEnd('\n'); }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
    }

    /// <summary>
    /// Nanoseconds of CPU thread <paramref name="id"/> of this process has used, or null when it has ended: its CPU
    /// clock (Linux's per-thread clock id for a thread id, <c>(~tid &lt;&lt; 3) | 6</c>, nanoseconds), or where that fails
    /// utime + stime from <c>/proc/self/task/ID/stat</c> (clock ticks).
    /// </summary>
    public static long? ThreadById(int id)
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (ClockGetTime((~id << 3) | 6, out var t) == 0) return t.Seconds * 1_000_000_000L + t.Nanoseconds;
        try
        {
            string text = File.ReadAllText($"/proc/self/task/{id}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state is field 3
            return (long.Parse(fields[11]) + long.Parse(fields[12])) * (1_000_000_000L / 100); // utime, stime at USER_HZ 100
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>Native threads a segment's resources started, and the CPU each had used when last read.</summary>
internal sealed class NativeThreadCpu
{
    private readonly object _lock = new();
    private readonly Dictionary<int, long> _threads = new();

    public void Add(IEnumerable<int> ids)
    {
        lock (_lock)
            foreach (int id in ids)
                _threads.TryAdd(id, CpuClock.ThreadById(id) ?? 0);
    }

    /// <summary>The CPU of every thread, read again where it still runs (an ended thread keeps its last reading).</summary>
    public long Nanoseconds()
    {
        lock (_lock)
        {
            long sum = 0;
            foreach (int id in _threads.Keys.ToList())
            {
                if (CpuClock.ThreadById(id) is { } ns && ns >= _threads[id]) _threads[id] = ns;
                sum += _threads[id];
            }
            return sum;
        }
    }

    public bool Any
    {
        get { lock (_lock) return _threads.Count > 0; }
    }
}
