using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// What a local path names, asked before it is opened: opening a FIFO for reading blocks until a writer comes
/// (a manifest line naming one hung the run, and the blocked open ignored SIGTERM), and a device such as
/// <c>/dev/zero</c> never ends. On Linux this is <c>statx(2)</c> (whose struct is the same on every
/// architecture); elsewhere the file system APIs, which tell files from directories only.
/// </summary>
internal static unsafe partial class LocalFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28; // struct statx: stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode

    /// <summary>
    /// Null when <paramref name="path"/> is a regular file (following symbolic links); otherwise what it is
    /// ("a directory", "a FIFO (named pipe)", "a character device", ...), or "missing" when nothing is there.
    /// </summary>
    public static string? NotARegularFile(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            byte* buffer = stackalloc byte[256];
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return "missing";
            int type = *(ushort*)(buffer + ModeOffset) & 0xF000;
            return type switch
            {
                0x8000 => null,
                0x4000 => "a directory",
                0x1000 => "a FIFO (named pipe)",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0xC000 => "a socket",
                _ => "not a regular file",
            };
        }
        if (Directory.Exists(path)) return "a directory";
        return File.Exists(path) ? null : "missing";
    }

    /// <summary>
    /// The path with every symbolic link and <c>..</c> resolved (the file system's own answer, <c>realpath(3)</c>, on
    /// Linux), or null when it does not exist.
    /// </summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            byte* resolved = stackalloc byte[4097];
            return Realpath(path, resolved) is null ? null : Marshal.PtrToStringUTF8((IntPtr)resolved);
        }
        string full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full)) return null;
        return (File.Exists(full) ? File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName : null) ?? full;
    }

    /// <summary>Whether <paramref name="path"/>, resolved, is one of <paramref name="roots"/> or lies inside one, resolved.</summary>
    public static bool IsUnder(string path, IEnumerable<string> roots)
    {
        if (RealPath(path) is not { } real) return false;
        foreach (var root in roots)
        {
            if (RealPath(root) is not { } r) continue;
            string prefix = r.EndsWith(Path.DirectorySeparatorChar) ? r : r + Path.DirectorySeparatorChar;
            if (real == r || real.StartsWith(prefix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial byte* Realpath(string path, byte* resolved);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
