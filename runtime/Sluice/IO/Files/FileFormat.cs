namespace Sluice;

/// <summary>The row formats of files.</summary>
internal enum FileFormat { JsonLines, Csv }

/// <summary>One input or output file: its path, row format and whether it is gzip-compressed.</summary>
internal readonly record struct FileSpec(string Path, FileFormat Format, bool Gzip)
{
    /// <summary>The spec of <paramref name="path"/> in <paramref name="format"/>, or by its extension when null.</summary>
    public static FileSpec Of(string path, FileFormat? format, bool forWriting)
    {
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        if (format is { } f) return new(path, f, gzip);
        string ext = System.IO.Path.GetExtension(gzip ? path[..^3] : path).ToLowerInvariant();
        switch (ext)
        {
            case ".jsonl" or ".ndjson": return new(path, FileFormat.JsonLines, gzip);
            case ".json" when !forWriting: return new(path, FileFormat.JsonLines, gzip);
            case ".csv": return new(path, FileFormat.Csv, gzip);
            case ".json":
                throw new NotSupportedException(
                    $"'{path}': .json output (one JSON document) is not supported; write JSON Lines, one JSON object per line, to a .jsonl file " +
                    "(a .json input is read as JSON Lines).");
        }
        string known = forWriting ? ".jsonl, .ndjson or .csv" : ".jsonl, .ndjson, .json or .csv";
        string named = forWriting ? "Sink.JsonLines or Sink.Csv" : "Source.JsonLines or Source.Csv";
        throw new NotSupportedException(
            $"Cannot tell the format of '{path}' from its extension: use {known} (optionally followed by .gz), or {named} to name the format.");
    }
}
