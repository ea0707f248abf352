namespace Sluice;

/// <summary>
/// A file format another package adds to <see cref="Source.Files{T}"/>, <see cref="Sink.File{T}(string)"/> and the host's
/// <c>--input</c>/<c>--output</c>, by extension (Sluice.Parquet: <c>.parquet</c>; Sluice.Arrow: <c>.arrow</c>, <c>.arrows</c>).
/// </summary>
public interface IFileFormatProvider
{
    /// <summary>The extensions it reads and writes, with the dot, lower case.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Records from these paths or globs.</summary>
    ISource<T> OpenSource<T>(IReadOnlyList<string> pathsOrGlobs);

    /// <summary>Records to this file.</summary>
    ISink<T> OpenSink<T>(string path);

    /// <summary>
    /// Records to this file, rolled to numbered files beside it (or in its folder) once one holds
    /// <paramref name="maxFileBytes"/>; a format written as one file refuses a size.
    /// </summary>
    ISink<T> OpenSink<T>(string path, long? maxFileBytes) =>
        maxFileBytes is null ? OpenSink<T>(path)
        : throw new NotSupportedException($"'{path}': this format is written as one file; a file size to roll at (--max-file-size) is for Parquet and Arrow outputs.");
}

/// <summary>
/// The registered <see cref="IFileFormatProvider"/>s. A format package registers itself from the module initializer the
/// Sluice generator emits into an assembly that references it, so referencing the package is enough.
/// </summary>
public static class FileFormats
{
    private static readonly object s_lock = new();
    private static volatile IFileFormatProvider[] s_providers = [];

    // Extensions of the format packages, for the error that says which one to add.
    private static readonly Dictionary<string, string> s_packages = new(StringComparer.OrdinalIgnoreCase)
    {
        [".parquet"] = "Sluice.Parquet",
        [".arrow"] = "Sluice.Arrow",
        [".feather"] = "Sluice.Arrow",
        [".arrows"] = "Sluice.Arrow",
        [".warc"] = "Sluice.Warc",
    };

    /// <summary>Adds <paramref name="provider"/> (once; a second registration of the same type is ignored).</summary>
    public static void Register(IFileFormatProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (s_lock)
        {
            if (s_providers.Any(p => p.GetType() == provider.GetType())) return;
            s_providers = [.. s_providers, provider];
        }
    }

    /// <summary>The provider for <paramref name="path"/>'s extension, or null.</summary>
    internal static IFileFormatProvider? For(string path)
    {
        foreach (var p in s_providers)
            foreach (var ext in p.Extensions)
                if (path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return p; // ".warc.gz" as well as ".parquet"
        return null;
    }

    /// <summary>The package that reads <paramref name="path"/>'s extension when none registered it, or null.</summary>
    internal static string? PackageFor(string path)
    {
        string p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return s_packages.TryGetValue(Path.GetExtension(p), out var package) ? package : null;
    }

    /// <summary>Whether <paramref name="path"/> names a folder for output files: it ends with a separator or is an existing folder.</summary>
    internal static bool IsFolder(string path) =>
        path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(path);
}
