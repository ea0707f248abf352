namespace Sluice.Arrow;

/// <summary>Adds <c>.arrow</c>, <c>.feather</c> (IPC files) and <c>.arrows</c> (IPC streams) to <see cref="Source.Files{T}"/>, <see cref="Sink.File{T}(string)"/> and the host.</summary>
public static class ArrowFiles
{
    /// <summary>Registers the format (the Sluice generator calls this from the module initializer of an assembly that references this package).</summary>
    public static void Register() => FileFormats.Register(new Provider());

    private sealed class Provider : IFileFormatProvider
    {
        public IReadOnlyList<string> Extensions { get; } = [".arrow", ".feather", ".arrows"];
        public ISource<T> OpenSource<T>(IReadOnlyList<string> pathsOrGlobs) => Source.Arrow<T>([.. pathsOrGlobs]);
        public ISink<T> OpenSink<T>(string path) => Sink.Arrow<T>(path);
        public ISink<T> OpenSink<T>(string path, long? maxFileBytes) => Sink.Arrow<T>(path, new BatchSinkOptions { MaxFileBytes = maxFileBytes });
    }
}
