// TEMPORARY stubs fixing the public signatures; the IO work replaces this file.
namespace Sluice;

public static partial class Source
{
    /// <summary>Rows from JSON Lines files (paths or globs such as <c>in/*.jsonl</c>; <c>.gz</c> is decompressed).</summary>
    public static ISource<T> JsonLines<T>(params string[] pathsOrGlobs) => throw new NotImplementedException();

    /// <summary>Rows from CSV files with a header row (paths or globs).</summary>
    public static ISource<T> Csv<T>(params string[] pathsOrGlobs) => throw new NotImplementedException();

    /// <summary>Rows from files whose format follows their extension (.jsonl, .ndjson, .json, .csv, optionally .gz).</summary>
    public static ISource<T> Files<T>(params string[] pathsOrGlobs) => throw new NotImplementedException();
}

public static partial class Sink
{
    /// <summary>Writes rows to a JSON Lines file.</summary>
    public static ISink<T> JsonLines<T>(string path) => throw new NotImplementedException();

    /// <summary>Writes rows to a CSV file with a header row.</summary>
    public static ISink<T> Csv<T>(string path) => throw new NotImplementedException();

    /// <summary>Writes rows to a file whose format follows its extension (.jsonl, .ndjson, .csv, optionally .gz).</summary>
    public static ISink<T> File<T>(string path) => throw new NotImplementedException();
}
