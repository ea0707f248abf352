using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Sluice.Interop;

/// <summary>
/// The one place that finds the native libraries Sluice's packages load through <c>LibraryImport</c>
/// (Sluice.Media: libjpeg-turbo, libspng, libdeflate). A package registers its libraries and its assembly
/// (<see cref="Register"/>); one <see cref="DllImportResolver"/> per registered assembly maps a logical name
/// ("turbojpeg", "spng") to its shared library and searches, in order: the folder named by the
/// <c>SLUICE_NATIVE_DIR</c> environment variable, <c>&lt;app base&gt;/native/&lt;rid&gt;</c>, the repository's
/// <c>native/&lt;rid&gt;</c> (found by walking up from the app base), then the system loader.
/// A library found nowhere fails with <see cref="NativeLibraryMissingException"/>, whose message says what to install.
/// </summary>
public static class NativeLibraries
{
    /// <summary>The environment variable naming an extra folder searched first.</summary>
    public const string NativeDirVariable = "SLUICE_NATIVE_DIR";

    private static readonly object s_lock = new();
    private static readonly HashSet<Assembly> s_assemblies = new();
    private static readonly ConcurrentDictionary<string, IntPtr> s_loaded = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, NativeLibrarySpec> s_known = new(StringComparer.Ordinal);

    /// <summary>The platform folder name under <c>native/</c>, e.g. <c>linux-x64</c>.</summary>
    public static string RuntimeFolder
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            return $"{os}-{arch}";
        }
    }

    /// <summary>
    /// Registers <paramref name="libraries"/> and the resolver for <paramref name="assembly"/> (the package whose
    /// <c>LibraryImport</c>s name them). Safe to call any number of times; a package calls it from the static
    /// constructors of its bindings.
    /// </summary>
    public static void Register(Assembly assembly, params ReadOnlySpan<NativeLibrarySpec> libraries)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var spec in libraries) s_known.TryAdd(spec.Name, spec);
        lock (s_lock)
        {
            if (!s_assemblies.Add(assembly)) return;
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
    }

    /// <summary>The logical names registered so far.</summary>
    public static IReadOnlyCollection<string> Known => s_known.Keys.ToArray();

    /// <summary>Whether the library with logical name <paramref name="name"/> can be loaded.</summary>
    public static bool IsAvailable(string name)
    {
        try { Load(name); return true; }
        catch (NativeLibraryMissingException) { return false; }
    }

    /// <summary>
    /// Loads the library with logical name <paramref name="name"/> ("turbojpeg", "spng", "deflate"),
    /// or throws <see cref="NativeLibraryMissingException"/> saying how to install it.
    /// </summary>
    public static IntPtr Load(string name)
    {
        if (!s_known.TryGetValue(name, out var spec))
            throw new ArgumentException($"'{name}' is not a native library any loaded Sluice package registered; known: {string.Join(", ", s_known.Keys.Order())}.", nameof(name));
        return Load(spec);
    }

    /// <summary>Loads <paramref name="spec"/> from the search folders, then the system loader.</summary>
    internal static IntPtr Load(NativeLibrarySpec spec)
    {
        if (s_loaded.TryGetValue(spec.Name, out var cached)) return cached;
        var searched = new List<string>();
        foreach (var dir in SearchFolders())
        {
            string path = Path.Combine(dir, spec.FileName);
            searched.Add(path);
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var h))
                return s_loaded.GetOrAdd(spec.Name, h);
        }
        searched.Add($"system loader ({spec.FileName})");
        if (NativeLibrary.TryLoad(spec.FileName, out var sys))
            return s_loaded.GetOrAdd(spec.Name, sys);
        throw new NativeLibraryMissingException(spec, searched);
    }

    private static IEnumerable<string> SearchFolders()
    {
        string? env = Environment.GetEnvironmentVariable(NativeDirVariable);
        if (!string.IsNullOrEmpty(env)) yield return env;
        string rid = RuntimeFolder;
        string baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, "native", rid);
        // The repository-local native/<rid> (scripts/setup-native.sh puts libraries there): walk up.
        for (var d = new DirectoryInfo(baseDir).Parent; d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "native", rid);
            if (Directory.Exists(candidate)) { yield return candidate; break; }
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        s_known.TryGetValue(libraryName, out var spec) ? Load(spec) : IntPtr.Zero;
}

/// <summary>A native library: its logical name, its file name and the command that installs it.</summary>
/// <param name="Name">The logical name used in <c>LibraryImport</c>.</param>
/// <param name="FileName">The shared library file, e.g. <c>libturbojpeg.so.0</c>.</param>
/// <param name="InstallCommand">The command that installs it.</param>
public sealed record NativeLibrarySpec(string Name, string FileName, string InstallCommand);

/// <summary>Thrown when a native library Sluice needs is not installed; the message says how to install it.</summary>
public sealed class NativeLibraryMissingException : DllNotFoundException
{
    internal NativeLibraryMissingException(NativeLibrarySpec spec, IReadOnlyList<string> searched)
        : base($"The native library '{spec.Name}' ({spec.FileName}) is not installed. Install it with: {spec.InstallCommand}. " +
               $"Searched: {string.Join("; ", searched)}.")
    {
        Library = spec;
        Searched = searched;
    }

    /// <summary>The missing library.</summary>
    public NativeLibrarySpec Library { get; }

    /// <summary>The places searched, in order.</summary>
    public IReadOnlyList<string> Searched { get; }
}
