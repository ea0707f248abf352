namespace Sluice;

/// <summary>An object in a store: its URL (<c>s3://bucket/key</c>) and size in bytes.</summary>
public readonly record struct StoredObject(string Url, long Length);

/// <summary>
/// An object store that a package adds for the URLs of one scheme (Sluice.S3: <c>s3://</c>): file sources and sinks of
/// every format, the host's <c>--input</c>/<c>--output</c> and <see cref="Downloader"/> reach objects through it.
/// </summary>
public interface IObjectStore
{
    /// <summary>The URL scheme it serves, lower case, without <c>://</c> ("s3").</summary>
    string Scheme { get; }

    /// <summary>
    /// The objects <paramref name="urlOrGlob"/> names: one object, or, for a glob (<c>*</c>, <c>?</c>, <c>**</c>,
    /// <c>{a,b}</c> in the key), the matching objects in key order. Throws <see cref="FileNotFoundException"/> naming the
    /// URL when nothing is there.
    /// </summary>
    IReadOnlyList<StoredObject> List(string urlOrGlob, CancellationToken cancellationToken = default);

    /// <summary>A read-only, seekable stream over the object (ranged reads: a Parquet footer costs its bytes, not the file).</summary>
    Stream OpenRead(StoredObject obj);

    /// <summary>The whole object in a pooled <see cref="Blob"/>; an object over <paramref name="maxBytes"/> is refused before its body is read.</summary>
    ValueTask<Blob> ReadAllAsync(string url, long maxBytes, CancellationToken cancellationToken);

    /// <summary>
    /// A new object at <paramref name="url"/>: the bytes written to the upload's stream appear there only when it is
    /// committed, all at once; disposed without <see cref="IObjectUpload.CommitAsync"/>, the upload is abandoned and
    /// whatever the URL held before stays.
    /// </summary>
    IObjectUpload Create(string url);
}

/// <summary>An object being written (see <see cref="IObjectStore.Create"/>).</summary>
public interface IObjectUpload : IAsyncDisposable
{
    /// <summary>Where the object's bytes go (write-only, not seekable).</summary>
    Stream Stream { get; }

    /// <summary>Makes the object whole at its URL (after the stream's last write).</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The registered <see cref="IObjectStore"/>s, by scheme. A store package registers itself from the module initializer
/// the Sluice generator emits into an assembly that references it (as format packages do), or by its own Register call.
/// </summary>
public static class ObjectStores
{
    private static readonly object s_lock = new();
    private static volatile IObjectStore[] s_stores = [];

    // Schemes of store packages, for the error that says which one to add.
    private static readonly Dictionary<string, string> s_packages = new(StringComparer.OrdinalIgnoreCase)
    {
        ["s3"] = "Sluice.S3",
    };

    /// <summary>Adds <paramref name="store"/>, replacing one registered for the same scheme.</summary>
    public static void Register(IObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        lock (s_lock)
            s_stores = [.. s_stores.Where(s => !s.Scheme.Equals(store.Scheme, StringComparison.OrdinalIgnoreCase)), store];
    }

    /// <summary>Whether a store is registered for <paramref name="scheme"/>.</summary>
    public static bool IsRegistered(string scheme) => s_stores.Any(s => s.Scheme.Equals(scheme, StringComparison.OrdinalIgnoreCase));

    /// <summary>The scheme of <paramref name="path"/> when it is a URL other than <c>file://</c> (<c>s3</c>), else null.</summary>
    internal static string? SchemeOf(string path)
    {
        int at = path.IndexOf("://", StringComparison.Ordinal);
        if (at <= 0 || path.AsSpan(0, at).IndexOfAny(['/', '\\', '.']) >= 0) return null;
        string scheme = path[..at];
        return scheme.Equals("file", StringComparison.OrdinalIgnoreCase) ? null : scheme;
    }

    /// <summary>
    /// The store of <paramref name="path"/> when it is an object URL (<c>s3://...</c>), null for a local path; a URL of a
    /// scheme no registered store serves throws, naming the package that adds it.
    /// </summary>
    internal static IObjectStore? For(string path)
    {
        if (SchemeOf(path) is not { } scheme) return null;
        foreach (var s in s_stores)
            if (s.Scheme.Equals(scheme, StringComparison.OrdinalIgnoreCase)) return s;
        if (scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"'{path}': http(s) URLs are not file inputs or outputs; fetch them in a stage with Downloader.");
        throw new NotSupportedException(s_packages.TryGetValue(scheme, out var package)
            ? $"'{path}': {scheme}:// URLs are read and written by the {package} package; add a reference to it."
            : $"'{path}': no object store serves {scheme}:// URLs (S3 comes with the Sluice.S3 package).");
    }
}

/// <summary>One input of a file source: a local file or an object, with its size.</summary>
internal readonly record struct InputFile(string Path, long Length, IObjectStore? Store)
{
    /// <summary>Whether it is an object in a store rather than a local file.</summary>
    public bool IsRemote => Store is not null;

    /// <summary>Opens it for reading (an object's stream is seekable through ranged reads).</summary>
    public Stream Open(int bufferSize = 1 << 16, bool sequential = true) =>
        Store is { } store
            ? store.OpenRead(new StoredObject(Path, Length))
            : new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize,
                             (sequential ? FileOptions.SequentialScan : FileOptions.None) | FileOptions.Asynchronous);

    /// <summary>
    /// The inputs that <paramref name="pathsOrGlobs"/> name, in argument order (each glob's matches sorted), without
    /// duplicates: local paths through <see cref="PathGlob"/>, object URLs through their store's listing.
    /// </summary>
    public static List<InputFile> Expand(IEnumerable<string> pathsOrGlobs, CancellationToken cancellationToken = default)
    {
        var files = new List<InputFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in pathsOrGlobs)
        {
            if (ObjectStores.For(item) is { } store)
            {
                foreach (var obj in store.List(item, cancellationToken))
                    if (seen.Add(obj.Url)) files.Add(new InputFile(obj.Url, obj.Length, store));
                continue;
            }
            foreach (var path in PathGlob.Expand([item]))
                if (seen.Add(System.IO.Path.GetFullPath(path))) files.Add(new InputFile(path, LengthOf(path), null));
        }
        return files;
    }

    private static long LengthOf(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (IOException) { return -1; }
    }
}
