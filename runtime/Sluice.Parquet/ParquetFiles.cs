namespace Sluice.Parquet;

/// <summary>Adds <c>.parquet</c> to <see cref="Source.Files{T}"/>, <see cref="Sink.File{T}(string)"/> and the host's --input/--output.</summary>
public static class ParquetFiles
{
    /// <summary>Registers the format (the Sluice generator calls this from the module initializer of an assembly that references this package).</summary>
    public static void Register() => FileFormats.Register(new Provider());

    private sealed class Provider : IFileFormatProvider
    {
        public IReadOnlyList<string> Extensions { get; } = [".parquet"];
        public ISource<T> OpenSource<T>(IReadOnlyList<string> pathsOrGlobs) => Source.Parquet<T>([.. pathsOrGlobs]);
        public ISink<T> OpenSink<T>(string path) => Sink.Parquet<T>(path);
        public ISink<T> OpenSink<T>(string path, long? maxFileBytes) => Sink.Parquet<T>(path, new ParquetWriteOptions { MaxFileBytes = maxFileBytes });
    }
}
