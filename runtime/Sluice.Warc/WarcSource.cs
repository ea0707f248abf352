using System.Globalization;
using System.Text;

namespace Sluice.Warc
{
    /// <summary>
    /// WARC records as rows, file after file (paths or globs). The record's columns are taken by name from: <c>id</c>
    /// (WARC-Record-ID), <c>type</c>, <c>url</c> (WARC-Target-URI), <c>date</c> (WARC-Date), <c>contentType</c>,
    /// <c>contentLength</c>, <c>headers</c> (the WARC header lines), <c>httpStatus</c> (of an HTTP response block),
    /// <c>payload</c> (the whole block, a pooled <see cref="Blob"/>), <c>body</c> (the HTTP body of a response, else the
    /// block, a <see cref="Blob"/>) and <c>text</c> (the body as UTF-8 text).
    /// </summary>
    public sealed class WarcSource<T>(IReadOnlyList<string> pathsOrGlobs, IReadOnlyCollection<string>? types, long maxRecordBytes) : ISource<T>
    {
        internal static readonly string[] Columns = ["id", "type", "url", "date", "contentType", "contentLength", "headers", "httpStatus", "payload", "body", "text"];

        /// <inheritdoc/>
        public string Description => string.Join(", ", pathsOrGlobs);

        /// <inheritdoc/>
        public ISourceReader<T> Open(SourceContext<T> context)
        {
            var codec = context.RequireCodec();
            var files = PathGlob.Expand(pathsOrGlobs);
            if (files.Count == 0) throw new FileNotFoundException($"No WARC file matches {Description}.");
            var map = new int[codec.Columns.Count];
            for (int k = 0; k < map.Length; k++)
            {
                var c = codec.Columns[k];
                map[k] = c.Read ? Array.FindIndex(Columns, n => string.Equals(n, c.Name, StringComparison.OrdinalIgnoreCase)) : -1;
                if (map[k] < 0 && c.Read && c.Required)
                    throw new InvalidDataException($"WARC records have no column '{c.Name}' ({typeof(T).Name} needs it); they have {string.Join(", ", Columns)}.");
            }
            return new Reader(files, codec, context, map, types is null ? null : new HashSet<string>(types, StringComparer.OrdinalIgnoreCase), maxRecordBytes);
        }

        private sealed class Reader(List<string> files, RowCodec<T> codec, SourceContext<T> context, int[] map, HashSet<string>? types, long maxRecordBytes)
            : ISourceReader<T>, IColumnReader, IInputProgress
        {
            private const int BatchRows = 256;
            private readonly List<WarcRecord> _batch = new(BatchRows);
            private readonly T[] _rows = new T[BatchRows];
            private int _built, _at, _next;
            private WarcReader? _file;
            private readonly long _total = files.Sum(f => new FileInfo(f).Length);
            private long _doneFiles;

            public long TotalBytes => _total;
            public long BytesDone => _doneFiles + (_file?.BytesRead ?? 0);

            public ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                while (_at == _built)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!NextBatch()) return new(0);
                }
                int n = Math.Min(buffer.Length, _built - _at);
                _rows.AsSpan(_at, n).CopyTo(buffer.Span);
                _at += n;
                return new(n);
            }

            private bool NextBatch()
            {
                _batch.Clear();
                while (_batch.Count < BatchRows)
                {
                    if (_file is null)
                    {
                        if (_next == files.Count) break;
                        string path = files[_next++];
                        try
                        {
                            _file = new WarcReader(path, maxRecordBytes, (where, what) => context.BadRow(where, what, null));
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                        {
                            context.BadRow(path, $"cannot open this WARC file: {e.Message}", null);
                            continue;
                        }
                    }
                    var record = _file.Next();
                    if (record is null)
                    {
                        _doneFiles += new FileInfo(files[_next - 1]).Length;
                        _file.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        _file = null;
                        continue;
                    }
                    if (types is not null && !types.Contains(record.Type)) { record.Block.Dispose(); continue; }
                    _batch.Add(record);
                }
                if (_batch.Count == 0) return false;
                if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) Array.Clear(_rows);
                try
                {
                    _built = codec.ReadColumns(this, _batch.Count, _rows);
                }
                catch (RowFormatException e)
                {
                    context.BadRow(Location(0), e.Message, null);
                    _built = 0;
                }
                _at = 0;
                // The blocks were copied where asked for (payload keeps its own); the rest go back.
                foreach (var r in _batch) if (!_payloadTaken) r.Block.Dispose();
                _payloadTaken = false;
                return true;
            }

            private bool _payloadTaken;

            private string Location(int row) =>
                $"{_batch[row].Header("WARC-Target-URI") ?? "(no target URI)"} (WARC record {_batch[row].Header("WARC-Record-ID") ?? "?"})";

            public bool Has(int column) => map[column] >= 0;

            public bool IsNull(int column, int row) => map[column] >= 0 && Value(map[column], _batch[row], peek: true) is null;

            public void RowFailed(int row, RowFormatException error) => context.BadRow(Location(row), error.Message, null);

            public ReadOnlySpan<TValue> Read<TValue>(int column)
            {
                int source = map[column];
                if (Columns[source] == "payload") _payloadTaken = true;
                var values = new TValue[_batch.Count];
                for (int i = 0; i < values.Length; i++)
                {
                    if (Value(source, _batch[i], peek: false) is not { } v) continue;
                    values[i] = Convert<TValue>(v, codec.Columns[column].Name);
                }
                return values;
            }

            private static TValue Convert<TValue>(object v, string column)
            {
                var t = Nullable.GetUnderlyingType(typeof(TValue)) ?? typeof(TValue);
                if (v is TValue same) return same;
                try
                {
                    if (t == typeof(string)) return (TValue)(object)v.ToString()!;
                    if (t == typeof(DateTime) && v is DateTimeOffset d) return (TValue)(object)d.UtcDateTime;
                    return (TValue)System.Convert.ChangeType(v, t, CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
                {
                    throw new RowFormatException(column, $"{v.GetType().Name} from a WARC record cannot be read as {typeof(TValue).Name}");
                }
            }

            // One column of one record; peek does not copy blocks.
            private static object? Value(int source, WarcRecord r, bool peek)
            {
                switch (Columns[source])
                {
                    case "id": return r.Header("WARC-Record-ID");
                    case "type": return r.Type;
                    case "url": return r.Header("WARC-Target-URI");
                    case "date":
                        return DateTimeOffset.TryParse(r.Header("WARC-Date"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
                    case "contentType": return r.Header("Content-Type");
                    case "contentLength": return (long)r.Block.Length;
                    case "headers": return string.Join("\n", r.Headers.Select(h => $"{h.Key}: {h.Value}"));
                    case "httpStatus": return r.Http().Status;
                    case "payload": return r.Block;
                    case "body":
                    {
                        if (peek) return r.Block;
                        int start = r.Http().BodyStart;
                        return Blob.CopyOf(r.Block.Span[start..]);
                    }
                    default: // text
                    {
                        int start = r.Http().BodyStart;
                        return peek ? r.Block : Encoding.UTF8.GetString(r.Block.Span[start..]);
                    }
                }
            }

            public ValueTask DisposeAsync() => _file?.DisposeAsync() ?? default;
        }
    }

    /// <summary>Adds <c>.warc</c>, <c>.warc.gz</c>, <c>.wet.gz</c> and <c>.wat.gz</c> to <see cref="Source.Files{T}"/> and the host's --input.</summary>
    public static class WarcFiles
    {
        /// <summary>Registers the format (the Sluice generator calls this from the module initializer of an assembly that references this package).</summary>
        public static void Register() => FileFormats.Register(new Provider());

        private sealed class Provider : IFileFormatProvider
        {
            public IReadOnlyList<string> Extensions { get; } = [".warc", ".warc.gz", ".wet", ".wet.gz", ".wat", ".wat.gz"];
            public ISource<T> OpenSource<T>(IReadOnlyList<string> pathsOrGlobs) => Source.Warc<T>([.. pathsOrGlobs]);
            public ISink<T> OpenSink<T>(string path) => throw new NotSupportedException($"'{path}': Sluice reads WARC files; it does not write them.");
        }
    }
}

namespace Sluice
{
    using Sluice.Warc;

    /// <summary>WARC sources: <c>Source.Warc&lt;T&gt;("CC-MAIN-*.warc.gz")</c>.</summary>
    public static class WarcSourceExtensions
    {
        extension(Source)
        {
            /// <summary>
            /// WARC records (<c>.warc</c> or gzip-compressed <c>.warc.gz</c>, as Common Crawl ships them) as rows. <paramref name="types"/>
            /// keeps only those record types (<c>response</c>, <c>conversion</c>, ...); a block over <paramref name="maxRecordBytes"/> is
            /// one bad row. A damaged record or gzip member is one bad row, and reading resumes at the next.
            /// </summary>
            public static ISource<T> Warc<T>(string[] pathsOrGlobs, IReadOnlyCollection<string>? types = null, long maxRecordBytes = 256L << 20) =>
                new WarcSource<T>(pathsOrGlobs, types, maxRecordBytes);

            /// <summary>WARC records of one file or glob (see the overload taking several).</summary>
            public static ISource<T> Warc<T>(string pathOrGlob, IReadOnlyCollection<string>? types = null) => new WarcSource<T>([pathOrGlob], types, 256L << 20);
        }
    }
}
