using DuckDB.NET.Data;

namespace Sluice.DuckDb
{
    /// <summary>
    /// Records into a DuckDB table through DuckDB's appender. A run appends to a staging table
    /// (<c>table__sluice_partial</c>) and, when it completes, moves the rows into <c>table</c> (created from the record
    /// when missing) in one transaction; a run that does not complete leaves <c>table</c> as it was and its rows in the
    /// staging table, which the summary names. With <c>copyTo</c> the rows go to a file through DuckDB's COPY instead.
    /// </summary>
    public sealed class DuckDbSink<T> : ISink<T>
    {
        private readonly string _database, _table;
        private readonly string? _copyTo, _copyOptions;

        internal DuckDbSink(string database, string table, string? copyTo = null, string? copyOptions = null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(table);
            _database = database;
            _table = table;
            _copyTo = copyTo;
            _copyOptions = copyOptions;
        }

        /// <inheritdoc/>
        public string Description => _copyTo ?? $"{_database}: table {_table}";

        /// <inheritdoc/>
        public ISinkWriter<T> Open(SinkContext<T> context) => new Writer(this, context.RequireCodec());

        private sealed class Writer : ISinkWriter<T>, IFileOutputWriter, IColumnWriter
        {
            private readonly DuckDbSink<T> _sink;
            private readonly RowCodec<T> _codec;
            private readonly DuckDBConnection _connection;
            private readonly string _staging;
            private DuckDBAppender? _appender;
            private readonly Action<IDuckDBAppenderRowLike, int>[] _columns;

            public Writer(DuckDbSink<T> sink, RowCodec<T> codec)
            {
                _sink = sink;
                _codec = codec;
                _staging = sink._table + "__sluice_partial";
                _columns = new Action<IDuckDBAppenderRowLike, int>[codec.Columns.Count];
                _connection = new DuckDBConnection($"DataSource={sink._database}");
                try
                {
                    _connection.Open();
                    string columns = string.Join(", ", codec.Columns.Select(c => $"{DuckDbValues.Quote(c.Name)} {DuckDbValues.SqlType(c)}"));
                    Execute($"DROP TABLE IF EXISTS {DuckDbValues.Quote(_staging)}");
                    Execute($"CREATE TABLE {DuckDbValues.Quote(_staging)} ({columns})");
                    if (sink._copyTo is null) Execute($"CREATE TABLE IF NOT EXISTS {DuckDbValues.Quote(sink._table)} ({columns})");
                    _appender = _connection.CreateAppender(_staging);
                }
                catch
                {
                    _connection.Dispose();
                    throw;
                }
            }

            private void Execute(string sql)
            {
                using var command = _connection.CreateCommand();
                command.CommandText = sql;
                command.ExecuteNonQuery();
            }

            public long RowsInFile { get; private set; }

            public string? PartialPath { get; private set; }

            public ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
            {
                if (_appender is null) throw new ObjectDisposedException(nameof(DuckDbSink<T>), "The sink is already complete.");
                _codec.WriteColumns(rows.Span, this);
                for (int i = 0; i < rows.Length; i++)
                {
                    var row = new AppenderRow(_appender.CreateRow());
                    foreach (var column in _columns) column(row, i);
                    row.End();
                    if (_codec.HasPayloads) _codec.DisposePayloads(in rows.Span[i]);
                }
                RowsInFile += rows.Length;
                return default;
            }

            // Each column's values are kept for the rows of this call and appended row by row.
            public void Write<TValue>(int column, ReadOnlySpan<TValue> values)
            {
                var copy = values.ToArray();
                _columns[column] = (row, i) => row.Append(copy[i]);
            }

            public ValueTask CompleteAsync(CancellationToken cancellationToken)
            {
                if (_appender is null) return default;
                _appender.Close();
                _appender.Dispose();
                _appender = null;
                string staging = DuckDbValues.Quote(_staging);
                if (_sink._copyTo is { } path)
                {
                    string full = Path.GetFullPath(path), partial = OutputFiles.PartialPath(full);
                    string? dir = Path.GetDirectoryName(full);
                    if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                    Execute($"COPY {staging} TO '{partial.Replace("'", "''")}' ({_sink._copyOptions})");
                    File.Move(partial, full, overwrite: true);
                    Execute($"DROP TABLE {staging}");
                }
                else
                {
                    Execute("BEGIN TRANSACTION");
                    Execute($"INSERT INTO {DuckDbValues.Quote(_sink._table)} SELECT * FROM {staging}");
                    Execute($"DROP TABLE {staging}");
                    Execute("COMMIT");
                }
                _connection.Dispose();
                return default;
            }

            public ValueTask DisposeAsync()
            {
                if (_appender is null) return default;
                try
                {
                    _appender.Close();
                    _appender.Dispose();
                    _appender = null;
                    if (RowsInFile == 0 || _sink._copyTo is not null) Execute($"DROP TABLE IF EXISTS {DuckDbValues.Quote(_staging)}");
                    else PartialPath = $"{_sink._database}: table {_staging}";
                }
                finally
                {
                    _connection.Dispose();
                }
                return default;
            }
        }

        // The appender row with one generic Append over DuckDB.NET's typed AppendValue overloads.
        private interface IDuckDBAppenderRowLike
        {
            void Append<TValue>(TValue value);
        }

        private sealed class AppenderRow(DuckDB.NET.Data.IDuckDBAppenderRow row) : IDuckDBAppenderRowLike
        {
            public void Append<TValue>(TValue value)
            {
                switch (value)
                {
                    case null: row.AppendNullValue(); break;
                    case string s: row.AppendValue(s); break;
                    case bool v: row.AppendValue(v); break;
                    case byte v: row.AppendValue(v); break;
                    case short v: row.AppendValue(v); break;
                    case int v: row.AppendValue(v); break;
                    case long v: row.AppendValue(v); break;
                    case uint v: row.AppendValue(v); break;
                    case ulong v: row.AppendValue(v); break;
                    case float v: row.AppendValue(v); break;
                    case double v: row.AppendValue(v); break;
                    case decimal v: row.AppendValue(v); break;
                    case Guid v: row.AppendValue(v); break;
                    case DateTime v: row.AppendValue(v); break;
                    case DateTimeOffset v: row.AppendValue(v); break;
                    case Blob b: row.AppendValue(b.Span.ToArray()); break;
                    case float[] a: row.AppendValue<float>(a); break;
                    case double[] a: row.AppendValue<double>(a); break;
                    case int[] a: row.AppendValue<int>(a); break;
                    case long[] a: row.AppendValue<long>(a); break;
                    case string[] a: row.AppendValue<string>(a); break;
                    case bool[] a: row.AppendValue<bool>(a); break;
                    case short[] a: row.AppendValue<short>(a); break;
                    case byte[] a: row.AppendValue<byte>((IEnumerable<byte>)a); break;
                    default: throw new NotSupportedException($"{value.GetType().Name} values cannot be appended to DuckDB.");
                }
            }

            public void End() => row.EndRow();
        }
    }
}

namespace Sluice
{
    using Sluice.DuckDb;

    /// <summary>DuckDB sinks: a table, or a file through COPY.</summary>
    public static class DuckDbSinkExtensions
    {
        extension(Sink)
        {
            /// <summary>
            /// Appends the records to <paramref name="table"/> in the DuckDB file <paramref name="database"/> (created from the record
            /// when missing), all or nothing: a run that does not complete leaves the table as it was.
            /// </summary>
            public static ISink<T> DuckDb<T>(string database, string table) => new DuckDbSink<T>(database, table);

            /// <summary>
            /// Writes the records to <paramref name="path"/> through DuckDB's COPY with <paramref name="options"/> (<c>FORMAT CSV, HEADER</c>,
            /// <c>FORMAT PARQUET, COMPRESSION zstd</c>, <c>FORMAT JSON</c>), under a temporary name renamed when the run completes.
            /// </summary>
            public static ISink<T> DuckDbCopy<T>(string path, string options = "FORMAT PARQUET") =>
                new DuckDbSink<T>(":memory:", "sluice_output", path, options);
        }
    }
}
