namespace Sluice;

/// <summary>
/// One output file while a sink writes it. A local file is written under a temporary name beside the target
/// (<see cref="OutputFiles.PartialPath"/>) and renamed over it on commit; an object (<c>s3://...</c>) is an upload that
/// appears at its URL, whole, only on commit. Abandoned, a local file's rows stay in the partial file (when asked to
/// keep them); an abandoned upload leaves nothing, and the URL keeps what it held.
/// </summary>
internal sealed class OutputFile
{
    private readonly IObjectUpload? _upload;
    private Stream? _stream;
    private bool _done;

    private OutputFile(string target, string? partial, IObjectUpload? upload)
    {
        Target = target;
        PartialPath = partial;
        _upload = upload;
    }

    /// <summary>The output: a full local path, or the object's URL.</summary>
    public string Target { get; }

    /// <summary>For a local output, the temporary file being written; null for an object.</summary>
    public string? PartialPath { get; }

    /// <summary>Whether the output is an object in a store.</summary>
    public bool IsRemote => _upload is not null;

    /// <summary>Starts writing <paramref name="path"/> (local folders are created).</summary>
    public static OutputFile Create(string path)
    {
        if (ObjectStores.For(path) is { } store) return new OutputFile(path, null, store.Create(path));
        string target = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(target);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        return new OutputFile(target, OutputFiles.PartialPath(target), null);
    }

    /// <summary>
    /// The stream to write (once): the partial file, or the upload's stream. Its owner may dispose it (a format writer
    /// that closes what it wrote to); disposing it neither commits nor abandons.
    /// </summary>
    public Stream OpenStream()
    {
        if (_stream is not null) throw new InvalidOperationException($"'{Target}' is already open.");
        _stream = _upload is not null
            ? _upload.Stream
            : new FileStream(PartialPath!, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous);
        return _stream;
    }

    /// <summary>Makes the output whole at its target (after its writer has closed it).</summary>
    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        if (_done) return;
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        if (_upload is not null) await _upload.CommitAsync(cancellationToken).ConfigureAwait(false);
        else File.Move(PartialPath!, Target, overwrite: true);
        _done = true;
        if (_upload is not null) await _upload.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Gives the output up (after its writer has closed it): a local partial file is kept when <paramref name="keep"/>
    /// and its path returned, else deleted; an upload is abandoned. Returns where the rows are, or null.
    /// </summary>
    public async ValueTask<string?> AbandonAsync(bool keep)
    {
        if (_done) return null;
        _done = true;
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        if (_upload is not null)
        {
            await _upload.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        if (keep) return PartialPath;
        try { File.Delete(PartialPath!); } catch (IOException) { }
        return null;
    }
}
