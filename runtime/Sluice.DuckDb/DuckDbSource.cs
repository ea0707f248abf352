using System.Collections;
using System.Data.Common;
using DuckDB.NET.Data;

namespace Sluice.DuckDb
{
    /// <summary>
    /// A SQL query's rows as records: DuckDB runs the query (joins, group-bys, sorts, reads of Parquet/CSV/JSON files) and
    /// its result streams out in batches (DuckDB's streaming mode), each column matched to the record's by name.
    /// </summary>
    public sealed class DuckDbQuerySource<T>(string sql, string database) : ISource<T>
    {
        /// <inheritdoc/>
        public string Description => $"DuckDB query ({(sql.Length > 60 ? sql[..57] + "..." : sql)})";

        /// <inheritdoc/>
        public ISourceReader<T> Open(SourceContext<T> context)
        {
            var codec = context.RequireCodec();
            var connection = new DuckDBConnection($"DataSource={database}");
            try
            {
                connection.Open();
                var command = connection.CreateCommand();
                command.CommandText = sql;
                command.UseStreamingMode = true;
                DbDataReader reader;
                try
                {
                    reader = command.ExecuteReader();
                }
                catch (DuckDBException e)
                {
                    throw new InvalidDataException($"DuckDB query failed: {e.Message}", e);
                }
                return new Reader(connection, command, reader, codec, context, Description);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        private sealed class Reader : ISourceReader<T>, IColumnReader
        {
            private const int BatchRows = 2048;
            private readonly DuckDBConnection _connection;
            private readonly DuckDBCommand _command;
            private readonly DbDataReader _reader;
            private readonly RowCodec<T> _codec;
            private readonly SourceContext<T> _context;
            private readonly string _description;
            private readonly int[] _ordinals;           // per codec column: the result's column, or -1
            private readonly object?[][] _values;       // per result column: this batch's values
            private readonly bool[] _used;              // per result column: whether a codec column reads it (only those are fetched)
            private readonly List<int> _failed = [];   // rows of this batch the codec could not build
            private readonly T[] _rows = new T[BatchRows];
            private int _count, _at, _built;
            private long _read;

            public Reader(DuckDBConnection connection, DuckDBCommand command, DbDataReader reader, RowCodec<T> codec, SourceContext<T> context, string description)
            {
                _connection = connection;
                _command = command;
                _reader = reader;
                _codec = codec;
                _context = context;
                _description = description;
                var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
                _ordinals = new int[codec.Columns.Count];
                for (int k = 0; k < _ordinals.Length; k++)
                {
                    var c = codec.Columns[k];
                    int o = names.FindIndex(n => n == c.Name);
                    if (o < 0) o = names.FindIndex(n => string.Equals(n, c.Name, StringComparison.OrdinalIgnoreCase));
                    _ordinals[k] = c.Read ? o : -1;
                    if (o < 0 && c.Required && c.Read)
                        throw new InvalidDataException($"{description}: the query has no column '{c.Name}' ({typeof(T).Name} needs it; it has {string.Join(", ", names)}).");
                }
                _used = new bool[reader.FieldCount];
                foreach (int o in _ordinals) if (o >= 0) _used[o] = true;
                _values = new object?[reader.FieldCount][];
                for (int i = 0; i < _values.Length; i++) _values[i] = new object?[BatchRows];
            }

            public async ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken)
            {
                while (_at == _built)
                {
                    if (!await NextBatchAsync(cancellationToken).ConfigureAwait(false)) return 0;
                }
                int n = Math.Min(buffer.Length, _built - _at);
                _rows.AsSpan(_at, n).CopyTo(buffer.Span);
                _at += n;
                return n;
            }

            private async ValueTask<bool> NextBatchAsync(CancellationToken ct)
            {
                while (true)
                {
                    _count = 0;
                    try
                    {
                        while (_count < BatchRows && await _reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            for (int i = 0; i < _values.Length; i++)
                                _values[i][_count] = !_used[i] || _reader.IsDBNull(i) ? null : Value(i);
                            _count++;
                        }
                    }
                    catch (DuckDBException e)
                    {
                        throw new InvalidDataException($"{_description}: {e.Message}", e);
                    }
                    if (_count == 0) return false;
                    if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) System.Array.Clear(_rows);
                    _failed.Clear();
                    try
                    {
                        _built = _codec.ReadColumns(this, _count, _rows);
                        // A row that failed built no record: the blobs read for it belong to nobody else.
                        foreach (int row in _failed) DisposeBlobs(row);
                    }
                    catch (RowFormatException e)
                    {
                        _context.BadRow($"{_description} (rows {_read + 1:N0}-{_read + _count:N0})", e.Message, null);
                        _built = 0;
                        for (int row = 0; row < _count; row++) DisposeBlobs(row);
                    }
                    _at = 0;
                    _read += _count;
                    if (_built > 0) return true;
                }
            }

            // A blob goes straight into pooled memory; other values as DuckDB.NET gives them.
            private object Value(int i)
            {
                if (_reader.GetFieldType(i) == typeof(Stream))
                {
                    using var stream = _reader.GetStream(i);
                    var blob = Blob.Rent(checked((int)stream.Length));
                    stream.ReadExactly(blob.Span);
                    return blob;
                }
                return _reader.GetValue(i);
            }

            public bool Has(int column) => _ordinals[column] >= 0;

            public bool IsNull(int column, int row) => _ordinals[column] >= 0 && _values[_ordinals[column]][row] is null;

            public void RowFailed(int row, RowFormatException error)
            {
                _failed.Add(row);
                _context.BadRow($"{_description} (row {_read + row + 1:N0})", error.Message, null);
            }

            private void DisposeBlobs(int row)
            {
                foreach (var column in _values)
                    if (column[row] is Blob blob)
                    {
                        blob.Dispose();
                        column[row] = null;
                    }
            }

            public ReadOnlySpan<TValue> Read<TValue>(int column)
            {
                var source = _values[_ordinals[column]];
                var values = new TValue[_count];
                for (int i = 0; i < _count; i++)
                {
                    if (source[i] is not { } v) continue;
                    try
                    {
                        values[i] = (TValue)DuckDbValues.Convert(v, typeof(TValue));
                    }
                    catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
                    {
                        throw new RowFormatException(_codec.Columns[column].Name, $"{v.GetType().Name} from DuckDB cannot be read as {typeof(TValue).Name}");
                    }
                }
                return values; // blobs now belong to the rows the codec builds
            }

            public async ValueTask DisposeAsync()
            {
                await _reader.DisposeAsync().ConfigureAwait(false);
                await _command.DisposeAsync().ConfigureAwait(false);
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Conversions between DuckDB.NET's values and record property types.</summary>
    internal static class DuckDbValues
    {
        public static object Convert(object value, Type target)
        {
            var t = Nullable.GetUnderlyingType(target) ?? target;
            if (t.IsInstanceOfType(value)) return value;
            if (t.IsArray && value is IEnumerable items)
            {
                var element = t.GetElementType()!;
                var list = items.Cast<object?>().ToList();
                var array = System.Array.CreateInstanceFromArrayType(t, list.Count);
                for (int i = 0; i < list.Count; i++) array.SetValue(list[i] is null ? null : Convert(list[i]!, element), i);
                return array;
            }
            if (t == typeof(string)) return value.ToString()!;
            if (t == typeof(Guid)) return value is string s ? Guid.Parse(s) : (Guid)value;
            if (t == typeof(DateTime)) return value switch
            {
                DateTimeOffset o => o.UtcDateTime,
                DateOnly d => d.ToDateTime(TimeOnly.MinValue),
                _ => (DateTime)value,
            };
            if (t == typeof(DateTimeOffset)) return value switch
            {
                DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
                DateOnly d => new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                _ => (DateTimeOffset)value,
            };
            if (value is System.Numerics.BigInteger big) return System.Convert.ChangeType((decimal)big, t, System.Globalization.CultureInfo.InvariantCulture);
            return System.Convert.ChangeType(value, t, System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>The DuckDB column type of a record property.</summary>
        public static string SqlType(ColumnInfo column) => SqlType(column.Type, column.Name);

        private static string SqlType(Type type, string column)
        {
            if (type.IsArray) return SqlType(type.GetElementType()!, column) + "[]";
            var t = Nullable.GetUnderlyingType(type) ?? type;
            if (t.IsEnum || t == typeof(string)) return "VARCHAR";
            if (t == typeof(bool)) return "BOOLEAN";
            if (t == typeof(byte)) return "UTINYINT";
            if (t == typeof(short)) return "SMALLINT";
            if (t == typeof(int)) return "INTEGER";
            if (t == typeof(long)) return "BIGINT";
            if (t == typeof(uint)) return "UINTEGER";
            if (t == typeof(ulong)) return "UBIGINT";
            if (t == typeof(float)) return "FLOAT";
            if (t == typeof(double)) return "DOUBLE";
            if (t == typeof(decimal)) return "DECIMAL(38, 18)";
            if (t == typeof(Guid)) return "UUID";
            if (t == typeof(DateTime)) return "TIMESTAMP";
            if (t == typeof(DateTimeOffset)) return "TIMESTAMPTZ";
            if (t == typeof(Blob)) return "BLOB";
            throw new NotSupportedException($"column '{column}': {type.Name} has no DuckDB type.");
        }

        public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
    }
}

namespace Sluice
{
    using Sluice.DuckDb;

    /// <summary>DuckDB sources: <c>Source.Query&lt;T&gt;("SELECT ... FROM 'data/*.parquet' ...")</c>.</summary>
    public static class DuckDbSourceExtensions
    {
        extension(Source)
        {
            /// <summary>
            /// The rows of a DuckDB query as records, streamed: <paramref name="database"/> is a DuckDB file, or <c>:memory:</c>
            /// for queries over files (<c>'data/*.parquet'</c>, <c>read_csv('x.csv')</c>). Columns match the record's by name.
            /// </summary>
            public static ISource<T> Query<T>(string sql, string database = ":memory:") => new DuckDbQuerySource<T>(sql, database);
        }
    }
}
