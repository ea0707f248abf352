namespace Sluice.S3;

/// <summary>
/// Adds <c>s3://</c> to file sources and sinks, the host's <c>--input</c>/<c>--output</c> and <see cref="Downloader"/>.
/// The Sluice generator calls <see cref="Register"/> from the module initializer of an assembly that references this
/// package; <see cref="Configure"/> sets the options (endpoint, credentials) before a run, or the environment does.
/// </summary>
public static class S3Storage
{
    private static S3Store? s_store;

    /// <summary>The registered store (null before <see cref="Register"/> or <see cref="Configure"/>).</summary>
    public static S3Store? Store => s_store;

    /// <summary>Registers a store whose options come from the environment (the usual AWS way), unless one is registered.</summary>
    public static void Register()
    {
        if (s_store is not null) return;
        Configure(new S3Options());
    }

    /// <summary>Registers a store with <paramref name="options"/>, replacing the one before; returns it.</summary>
    public static S3Store Configure(S3Options options)
    {
        var store = new S3Store(options);
        var old = Interlocked.Exchange(ref s_store, store);
        ObjectStores.Register(store);
        old?.Dispose();
        return store;
    }
}
