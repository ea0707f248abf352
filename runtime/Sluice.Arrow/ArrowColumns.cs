using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Sluice.Arrow;

/// <summary>
/// Records to and from Arrow record batches through the generated columnar codec (<see cref="RowCodec{T}.WriteColumns"/>,
/// <see cref="RowCodec{T}.ReadColumns"/>): one Arrow field per record property, named as the property's column in files.
/// </summary>
public static class ArrowColumns
{
    /// <summary>The Arrow schema of <typeparamref name="T"/>'s records.</summary>
    public static Schema SchemaOf<T>(RowCodec<T> codec)
    {
        var builder = new Schema.Builder();
        foreach (var c in codec.Columns)
        {
            var type = c.FixedSize is int size && c.ElementType is { } element
                ? new FixedSizeListType(new Field("item", ArrowTypeOf(element, c.Name), nullable: true), size)
                : ArrowTypeOf(c.Type, c.Name);
            builder.Field(f => f.Name(c.Name).DataType(type).Nullable(c.IsNullable || c.ElementType is not null));
        }
        return builder.Build();
    }

    /// <summary>The Arrow type a property of CLR type <paramref name="type"/> is written as.</summary>
    public static IArrowType ArrowTypeOf(Type type, string column)
    {
        if (type.IsArray) return new ListType(new Field("item", ArrowTypeOf(type.GetElementType()!, column), nullable: true));
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsEnum) return StringType.Default;
        if (t == typeof(bool)) return BooleanType.Default;
        if (t == typeof(byte)) return UInt8Type.Default;
        if (t == typeof(short)) return Int16Type.Default;
        if (t == typeof(int)) return Int32Type.Default;
        if (t == typeof(long)) return Int64Type.Default;
        if (t == typeof(uint)) return UInt32Type.Default;
        if (t == typeof(ulong)) return UInt64Type.Default;
        if (t == typeof(float)) return FloatType.Default;
        if (t == typeof(double)) return DoubleType.Default;
        if (t == typeof(decimal)) return new Decimal128Type(38, 18);
        if (t == typeof(string) || t == typeof(Guid)) return StringType.Default;
        if (t == typeof(Blob)) return BinaryType.Default;
        if (t == typeof(DateTime)) return new TimestampType(TimeUnit.Microsecond, (string?)null);
        if (t == typeof(DateTimeOffset)) return new TimestampType(TimeUnit.Microsecond, "UTC");
        throw new NotSupportedException($"column '{column}': {type.Name} has no Arrow type.");
    }

    /// <summary>A record batch of <paramref name="rows"/>.</summary>
    public static RecordBatch ToBatch<T>(RowCodec<T> codec, Schema schema, ReadOnlySpan<T> rows)
    {
        var writer = new BatchWriter(schema);
        codec.WriteColumns(rows, writer);
        return new RecordBatch(schema, writer.Arrays, rows.Length);
    }

    /// <summary>
    /// The rows of <paramref name="batch"/> into <paramref name="rows"/> (at least <c>batch.Length</c> long); returns how
    /// many were built. <paramref name="source"/> names the file in errors; <paramref name="rowFailed"/> gets the rows left
    /// out (a null where the record needs a value), by their index in the batch.
    /// </summary>
    public static int FromBatch<T>(RowCodec<T> codec, RecordBatch batch, Span<T> rows, string source, Action<int, RowFormatException> rowFailed)
    {
        var reader = new BatchReader(codec.Columns, batch, source, rowFailed);
        bool built = false;
        try
        {
            int n = codec.ReadColumns(reader, batch.Length, rows);
            built = true;
            return n;
        }
        finally
        {
            // Blobs read for rows that built no record (a row that failed, or a batch that failed) belong to nobody else.
            reader.DisposeOrphanedBlobs(all: !built);
        }
    }

    /// <summary>
    /// Checks that <paramref name="schema"/> can give <typeparamref name="T"/>'s records: every required column is there with a
    /// type that converts. Throws <see cref="InvalidDataException"/> naming <paramref name="source"/>, the column and both types.
    /// </summary>
    public static void CheckSchema<T>(RowCodec<T> codec, Schema schema, string source)
    {
        for (int k = 0; k < codec.Columns.Count; k++)
        {
            var c = codec.Columns[k];
            int field = BatchReader.FieldIndex(schema, c.Name);
            if (field < 0)
            {
                if (c.Required && c.Read)
                    throw new InvalidDataException($"{source}: has no column '{c.Name}' ({typeof(T).Name} needs it; the file has {string.Join(", ", schema.FieldsList.Select(f => f.Name))}).");
                continue;
            }
            if (!c.Read) continue;
            var type = schema.GetFieldByIndex(field).DataType;
            if (!Converts(type, c.Type))
                throw new InvalidDataException($"{source}: column '{c.Name}' is {Describe(type)}, which cannot be read as {c.Type.Name} ({typeof(T).Name}.{c.Name}).");
        }
    }

    internal static string Describe(IArrowType type) => type switch
    {
        ListType l => $"list<{Describe(l.ValueDataType)}>",
        LargeListType l => $"large_list<{Describe(l.ValueDataType)}>",
        FixedSizeListType l => $"fixed_size_list<{Describe(l.ValueDataType)}, {l.ListSize}>",
        TimestampType ts => $"timestamp[{ts.Unit.ToString().ToLowerInvariant()}{(ts.Timezone is { } z ? ", " + z : "")}]",
        _ => type.Name,
    };

    /// <summary>Whether Arrow data of <paramref name="arrow"/> can be read into a property of <paramref name="clr"/>.</summary>
    internal static bool Converts(IArrowType arrow, Type clr)
    {
        if (clr.IsArray)
            return arrow switch
            {
                ListType l => Converts(l.ValueDataType, clr.GetElementType()!),
                LargeListType l => Converts(l.ValueDataType, clr.GetElementType()!),
                FixedSizeListType l => Converts(l.ValueDataType, clr.GetElementType()!),
                _ => false,
            };
        var t = Nullable.GetUnderlyingType(clr) ?? clr;
        var id = arrow.TypeId;
        if (t.IsEnum || t == typeof(string) || t == typeof(Guid)) return id is ArrowTypeId.String or ArrowTypeId.LargeString or ArrowTypeId.StringView;
        if (t == typeof(Blob)) return id is ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView;
        if (t == typeof(bool)) return id == ArrowTypeId.Boolean;
        if (t == typeof(byte)) return id == ArrowTypeId.UInt8;
        if (t == typeof(short)) return id is ArrowTypeId.Int16 or ArrowTypeId.Int8 or ArrowTypeId.UInt8;
        if (t == typeof(int)) return id is ArrowTypeId.Int32 or ArrowTypeId.Int16 or ArrowTypeId.Int8 or ArrowTypeId.UInt8 or ArrowTypeId.UInt16;
        if (t == typeof(long)) return id is ArrowTypeId.Int64 or ArrowTypeId.Int32 or ArrowTypeId.Int16 or ArrowTypeId.Int8 or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32;
        if (t == typeof(uint)) return id is ArrowTypeId.UInt32 or ArrowTypeId.UInt16 or ArrowTypeId.UInt8;
        if (t == typeof(ulong)) return id is ArrowTypeId.UInt64 or ArrowTypeId.UInt32 or ArrowTypeId.UInt16 or ArrowTypeId.UInt8;
        if (t == typeof(float)) return id == ArrowTypeId.Float;
        if (t == typeof(double)) return id is ArrowTypeId.Double or ArrowTypeId.Float;
        if (t == typeof(decimal)) return id == ArrowTypeId.Decimal128;
        if (t == typeof(DateTime) || t == typeof(DateTimeOffset)) return id is ArrowTypeId.Timestamp or ArrowTypeId.Date32 or ArrowTypeId.Date64;
        return false;
    }

    /// <summary>Builds one Arrow array per column from the codec's columns.</summary>
    private sealed class BatchWriter(Schema schema) : IColumnWriter
    {
        public IArrowArray[] Arrays { get; } = new IArrowArray[schema.FieldsList.Count];

        public void Write<TValue>(int column, ReadOnlySpan<TValue> values) =>
            Arrays[column] = Build(values, schema.GetFieldByIndex(column).DataType);

        private static IArrowArray Build<TValue>(ReadOnlySpan<TValue> values, IArrowType type)
        {
            // Non-null primitives: one copy of the values into an Arrow buffer.
            if (typeof(TValue) == typeof(int)) return new Int32Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(long)) return new Int64Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(float)) return new FloatArray(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(double)) return new DoubleArray(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(short)) return new Int16Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(byte)) return new UInt8Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(uint)) return new UInt32Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            if (typeof(TValue) == typeof(ulong)) return new UInt64Array(Values(values), ArrowBuffer.Empty, values.Length, 0, 0);
            // The common reference and nullable columns, typed (no boxing).
            if (typeof(TValue) == typeof(string) && type is StringType) return Strings(Cast<TValue, string?>(values));
            if (type is FixedSizeListType fixedList)
            {
                if (typeof(TValue) == typeof(float[])) return FixedLists<float>(Cast<TValue, float[]?>(values), fixedList, (b, n) => new FloatArray(b, ArrowBuffer.Empty, n, 0, 0));
                if (typeof(TValue) == typeof(double[])) return FixedLists<double>(Cast<TValue, double[]?>(values), fixedList, (b, n) => new DoubleArray(b, ArrowBuffer.Empty, n, 0, 0));
                if (typeof(TValue) == typeof(int[])) return FixedLists<int>(Cast<TValue, int[]?>(values), fixedList, (b, n) => new Int32Array(b, ArrowBuffer.Empty, n, 0, 0));
                if (typeof(TValue) == typeof(long[])) return FixedLists<long>(Cast<TValue, long[]?>(values), fixedList, (b, n) => new Int64Array(b, ArrowBuffer.Empty, n, 0, 0));
            }
            if (typeof(TValue) == typeof(float[]) && type is ListType) return PrimitiveLists<float, FloatType>(Cast<TValue, float[]?>(values), FloatType.Default, (b, n) => new FloatArray(b, ArrowBuffer.Empty, n, 0, 0));
            if (typeof(TValue) == typeof(double[]) && type is ListType) return PrimitiveLists<double, DoubleType>(Cast<TValue, double[]?>(values), DoubleType.Default, (b, n) => new DoubleArray(b, ArrowBuffer.Empty, n, 0, 0));
            if (typeof(TValue) == typeof(int[]) && type is ListType) return PrimitiveLists<int, Int32Type>(Cast<TValue, int[]?>(values), Int32Type.Default, (b, n) => new Int32Array(b, ArrowBuffer.Empty, n, 0, 0));
            if (typeof(TValue) == typeof(long[]) && type is ListType) return PrimitiveLists<long, Int64Type>(Cast<TValue, long[]?>(values), Int64Type.Default, (b, n) => new Int64Array(b, ArrowBuffer.Empty, n, 0, 0));
            if (typeof(TValue) == typeof(bool))
            {
                var b = new BooleanArray.Builder();
                foreach (bool v in Cast<TValue, bool>(values)) b.Append(v);
                return b.Build();
            }
            if (typeof(TValue) == typeof(int?)) { var b = new Int32Array.Builder(); foreach (var v in Cast<TValue, int?>(values)) b.Append(v); return b.Build(); }
            if (typeof(TValue) == typeof(long?)) { var b = new Int64Array.Builder(); foreach (var v in Cast<TValue, long?>(values)) b.Append(v); return b.Build(); }
            if (typeof(TValue) == typeof(float?)) { var b = new FloatArray.Builder(); foreach (var v in Cast<TValue, float?>(values)) b.Append(v); return b.Build(); }
            if (typeof(TValue) == typeof(double?)) { var b = new DoubleArray.Builder(); foreach (var v in Cast<TValue, double?>(values)) b.Append(v); return b.Build(); }
            var boxed = new object?[values.Length];
            for (int i = 0; i < values.Length; i++) boxed[i] = values[i];
            return BuildObjects(boxed, type);
        }

        private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span) =>
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(span)), span.Length);

        /// <summary>utf8: the offsets and the bytes built straight, one UTF-8 encode per string.</summary>
        private static StringArray Strings(ReadOnlySpan<string?> values)
        {
            var offsets = new ArrowBuffer.Builder<int>(values.Length + 1);
            var validity = new ArrowBuffer.BitmapBuilder(values.Length);
            long bytes = 0;
            foreach (var v in values) if (v is not null) bytes += System.Text.Encoding.UTF8.GetByteCount(v);
            var data = new byte[bytes];
            int at = 0, nulls = 0;
            offsets.Append(0);
            foreach (var v in values)
            {
                if (v is null) nulls++;
                else at += System.Text.Encoding.UTF8.GetBytes(v, data.AsSpan(at));
                validity.Append(v is not null);
                offsets.Append(at);
            }
            return new StringArray(values.Length, offsets.Build(), new ArrowBuffer(data), nulls == 0 ? ArrowBuffer.Empty : validity.Build(), nulls, 0);
        }

        /// <summary>list&lt;primitive&gt;: the offsets, and every list's values copied into one buffer.</summary>
        private static ListArray PrimitiveLists<TItem, TType>(ReadOnlySpan<TItem[]?> values, TType itemType, Func<ArrowBuffer, int, IArrowArray> items)
            where TItem : struct where TType : IArrowType
        {
            var offsets = new ArrowBuffer.Builder<int>(values.Length + 1);
            var validity = new ArrowBuffer.BitmapBuilder(values.Length);
            long total = 0;
            foreach (var v in values) if (v is not null) total += v.Length;
            var bytes = new byte[total * Unsafe.SizeOf<TItem>()];
            var data = MemoryMarshal.Cast<byte, TItem>(bytes.AsSpan());
            int at = 0, nulls = 0;
            offsets.Append(0);
            foreach (var v in values)
            {
                if (v is null) nulls++;
                else { v.CopyTo(data[at..]); at += v.Length; }
                validity.Append(v is not null);
                offsets.Append(at);
            }
            var child = items(new ArrowBuffer(bytes), at);
            var listType = new ListType(new Field("item", itemType, nullable: true));
            return new ListArray(listType, values.Length, offsets.Build(), child, nulls == 0 ? ArrowBuffer.Empty : validity.Build(), nulls, 0);
        }

        /// <summary>
        /// fixed_size_list&lt;primitive, n&gt;: every row's n values copied into one buffer (a null row holds n zeros and is
        /// null in the validity bitmap); no offsets. A row of another length throws (sinks check rows before, see
        /// <see cref="RowCodec{T}.CheckRow"/>).
        /// </summary>
        private static FixedSizeListArray FixedLists<TItem>(ReadOnlySpan<TItem[]?> values, FixedSizeListType type, Func<ArrowBuffer, int, IArrowArray> items)
            where TItem : unmanaged
        {
            int size = type.ListSize;
            var bytes = new byte[(long)values.Length * size * Unsafe.SizeOf<TItem>()];
            var data = MemoryMarshal.Cast<byte, TItem>(bytes.AsSpan());
            var validity = new ArrowBuffer.BitmapBuilder(values.Length);
            int nulls = 0;
            for (int i = 0; i < values.Length; i++)
            {
                var v = values[i];
                if (v is null) nulls++;
                else if (v.Length != size) throw RowFormatException.WrongLength("(column)", size, v.Length);
                else v.CopyTo(data.Slice(i * size, size));
                validity.Append(v is not null);
            }
            var child = items(new ArrowBuffer(bytes), values.Length * size);
            return new FixedSizeListArray(type, values.Length, child, nulls == 0 ? ArrowBuffer.Empty : validity.Build(), nulls, 0);
        }

        private static ArrowBuffer Values<TValue>(ReadOnlySpan<TValue> values) =>
            new ArrowBuffer(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TValue, byte>(ref MemoryMarshal.GetReference(values)), values.Length * Unsafe.SizeOf<TValue>())).ToArray());

        /// <summary>Any column through Arrow's builders, values as objects (nullables, strings, timestamps, lists).</summary>
        private static IArrowArray BuildObjects(IReadOnlyList<object?> values, IArrowType type)
        {
            switch (type)
            {
                case StringType:
                {
                    var b = new StringArray.Builder();
                    foreach (var v in values) { if (v is null) b.AppendNull(); else b.Append(v is Guid g ? g.ToString("D") : v.ToString()); }
                    return b.Build();
                }
                case BinaryType:
                {
                    var b = new BinaryArray.Builder();
                    foreach (var v in values) { if (v is Blob blob) b.Append(blob.Span); else b.AppendNull(); }
                    return b.Build();
                }
                case BooleanType: return Fill(new BooleanArray.Builder(), values, (b, v) => b.Append((bool)v), b => b.AppendNull()).Build();
                case UInt8Type: return Fill(new UInt8Array.Builder(), values, (b, v) => b.Append((byte)v), b => b.AppendNull()).Build();
                case Int16Type: return Fill(new Int16Array.Builder(), values, (b, v) => b.Append((short)v), b => b.AppendNull()).Build();
                case Int32Type: return Fill(new Int32Array.Builder(), values, (b, v) => b.Append((int)v), b => b.AppendNull()).Build();
                case Int64Type: return Fill(new Int64Array.Builder(), values, (b, v) => b.Append((long)v), b => b.AppendNull()).Build();
                case UInt32Type: return Fill(new UInt32Array.Builder(), values, (b, v) => b.Append((uint)v), b => b.AppendNull()).Build();
                case UInt64Type: return Fill(new UInt64Array.Builder(), values, (b, v) => b.Append((ulong)v), b => b.AppendNull()).Build();
                case FloatType: return Fill(new FloatArray.Builder(), values, (b, v) => b.Append((float)v), b => b.AppendNull()).Build();
                case DoubleType: return Fill(new DoubleArray.Builder(), values, (b, v) => b.Append((double)v), b => b.AppendNull()).Build();
                case Decimal128Type d: return Fill(new Decimal128Array.Builder(d), values, (b, v) => b.Append((decimal)v), b => b.AppendNull()).Build();
                case TimestampType ts:
                    return Fill(new TimestampArray.Builder(ts), values,
                        (b, v) => b.Append(v is DateTimeOffset o ? o : new DateTimeOffset(((DateTime)v).Ticks, TimeSpan.Zero)), b => b.AppendNull()).Build();
                case ListType list:
                {
                    // Offsets and validity built here; the items as one array of the element type.
                    var offsets = new ArrowBuffer.Builder<int>(values.Count + 1);
                    var validity = new ArrowBuffer.BitmapBuilder(values.Count);
                    var items = new List<object?>();
                    int nulls = 0;
                    offsets.Append(0);
                    foreach (var v in values)
                    {
                        if (v is System.Array a) foreach (var item in a) items.Add(item);
                        else nulls++;
                        validity.Append(v is not null);
                        offsets.Append(items.Count);
                    }
                    var child = BuildObjects(items, list.ValueDataType);
                    return new ListArray(list, values.Count, offsets.Build(), child, nulls == 0 ? ArrowBuffer.Empty : validity.Build(), nulls, 0);
                }
                case FixedSizeListType fixedList:
                {
                    var validity = new ArrowBuffer.BitmapBuilder(values.Count);
                    var items = new List<object?>();
                    int nulls = 0;
                    foreach (var v in values)
                    {
                        if (v is System.Array a)
                        {
                            if (a.Length != fixedList.ListSize) throw RowFormatException.WrongLength("(column)", fixedList.ListSize, a.Length);
                            foreach (var item in a) items.Add(item);
                        }
                        else
                        {
                            nulls++;
                            for (int k = 0; k < fixedList.ListSize; k++) items.Add(null);
                        }
                        validity.Append(v is not null);
                    }
                    var child = BuildObjects(items, fixedList.ValueDataType);
                    return new FixedSizeListArray(fixedList, values.Count, child, nulls == 0 ? ArrowBuffer.Empty : validity.Build(), nulls, 0);
                }
                default:
                    throw new NotSupportedException($"Arrow type {type.Name} cannot be written from records.");
            }
        }

        private static TBuilder Fill<TBuilder>(TBuilder builder, IReadOnlyList<object?> values, Action<TBuilder, object> append, Action<TBuilder> appendNull)
        {
            foreach (var v in values) { if (v is null) appendNull(builder); else append(builder, v); }
            return builder;
        }
    }

    /// <summary>Gives the codec each column of a batch, converted to the property's type.</summary>
    private sealed class BatchReader : IColumnReader
    {
        private readonly IArrowArray?[] _arrays;
        private readonly Type[] _types;
        private readonly string[] _names;
        private readonly string _source;
        private readonly Action<int, RowFormatException> _rowFailed;

        public BatchReader(IReadOnlyList<ColumnInfo> columns, RecordBatch batch, string source, Action<int, RowFormatException> rowFailed)
        {
            _arrays = new IArrowArray?[columns.Count];
            _types = new Type[columns.Count];
            _names = new string[columns.Count];
            _source = source;
            _rowFailed = rowFailed;
            for (int k = 0; k < columns.Count; k++)
            {
                _types[k] = columns[k].Type;
                _names[k] = columns[k].Name;
                if (!columns[k].Read) continue;
                int field = FieldIndex(batch.Schema, columns[k].Name);
                if (field >= 0) _arrays[k] = batch.Column(field);
            }
        }

        public static int FieldIndex(Schema schema, string name)
        {
            var fields = schema.FieldsList;
            for (int i = 0; i < fields.Count; i++) if (fields[i].Name == name) return i;
            for (int i = 0; i < fields.Count; i++) if (string.Equals(fields[i].Name, name, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }

        public bool Has(int column) => _arrays[column] is not null;

        public bool IsNull(int column, int row) => _arrays[column] is { } a && a.IsNull(row);

        private List<int>? _failedRows;
        private List<Blob?[]>? _blobColumns;

        public void RowFailed(int row, RowFormatException error)
        {
            (_failedRows ??= []).Add(row);
            _rowFailed(row, error);
        }

        public void DisposeOrphanedBlobs(bool all)
        {
            if (_blobColumns is null) return;
            foreach (var column in _blobColumns)
            {
                if (all) foreach (var b in column) b?.Dispose();
                else if (_failedRows is not null) foreach (int row in _failedRows) column[row]?.Dispose();
            }
        }

        public ReadOnlySpan<TValue> Read<TValue>(int column)
        {
            var array = _arrays[column] ?? throw new InvalidOperationException($"column {column} is not in the batch");
            if (!ArrowColumns.Converts(array.Data.DataType, typeof(TValue)))
                throw new InvalidDataException($"{_source}: column '{_names[column]}' is {Describe(array.Data.DataType)}, which cannot be read as {typeof(TValue).Name}.");
            // Zero copy where the Arrow values are the property's type (nulls, if any, are caught by IsNull first).
            if (typeof(TValue) == typeof(int) && array is Int32Array i32) return Cast<int, TValue>(i32.Values);
            if (typeof(TValue) == typeof(long) && array is Int64Array i64) return Cast<long, TValue>(i64.Values);
            if (typeof(TValue) == typeof(float) && array is FloatArray f32) return Cast<float, TValue>(f32.Values);
            if (typeof(TValue) == typeof(double) && array is DoubleArray f64) return Cast<double, TValue>(f64.Values);
            if (typeof(TValue) == typeof(string) && array is StringArray str)
            {
                var strings = new string?[str.Length];
                for (int i = 0; i < strings.Length; i++) strings[i] = str.GetString(i);
                return Cast<string?, TValue>(strings);
            }
            if (typeof(TValue) == typeof(float[]) && array is ListArray { Values: FloatArray fv } fl) return Cast<float[]?, TValue>(Lists(fl, fv.Values));
            if (typeof(TValue) == typeof(double[]) && array is ListArray { Values: DoubleArray dv } dl) return Cast<double[]?, TValue>(Lists(dl, dv.Values));
            if (typeof(TValue) == typeof(int[]) && array is ListArray { Values: Int32Array iv } il) return Cast<int[]?, TValue>(Lists(il, iv.Values));
            if (typeof(TValue) == typeof(long[]) && array is ListArray { Values: Int64Array lv } ll) return Cast<long[]?, TValue>(Lists(ll, lv.Values));
            if (array is FixedSizeListArray fixedList)
            {
                if (typeof(TValue) == typeof(float[]) && fixedList.Values is FloatArray ffv) return Cast<float[]?, TValue>(FixedLists(fixedList, ffv.Values));
                if (typeof(TValue) == typeof(double[]) && fixedList.Values is DoubleArray fdv) return Cast<double[]?, TValue>(FixedLists(fixedList, fdv.Values));
                if (typeof(TValue) == typeof(int[]) && fixedList.Values is Int32Array fiv) return Cast<int[]?, TValue>(FixedLists(fixedList, fiv.Values));
                if (typeof(TValue) == typeof(long[]) && fixedList.Values is Int64Array flv) return Cast<long[]?, TValue>(FixedLists(fixedList, flv.Values));
            }
            if (typeof(TValue) == typeof(bool) && array is BooleanArray bools)
            {
                var flags = new bool[bools.Length];
                for (int i = 0; i < flags.Length; i++) flags[i] = bools.GetValue(i) ?? false;
                return Cast<bool, TValue>(flags);
            }
            var values = new TValue[array.Length];
            for (int i = 0; i < values.Length; i++)
                values[i] = array.IsNull(i) ? default! : (TValue)Convert(array, i, typeof(TValue))!;
            if (values is Blob?[] blobs) (_blobColumns ??= []).Add(blobs);
            return values;
        }

        private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> span) =>
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(span)), span.Length);

        private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(TFrom[] array) => Cast<TFrom, TTo>((ReadOnlySpan<TFrom>)array);

        /// <summary>Each row's list of a list&lt;primitive&gt; column as an array, sliced from the one values buffer (nulls, and null items, are not here: items read as 0).</summary>
        private static TItem[]?[] Lists<TItem>(ListArray list, ReadOnlySpan<TItem> items) where TItem : struct
        {
            var result = new TItem[]?[list.Length];
            var offsets = list.ValueOffsets;
            for (int i = 0; i < result.Length; i++)
            {
                if (list.IsNull(i)) continue;
                var row = GC.AllocateUninitializedArray<TItem>(offsets[i + 1] - offsets[i]);
                items[offsets[i]..offsets[i + 1]].CopyTo(row);
                result[i] = row;
            }
            return result;
        }

        /// <summary>Each row's n values of a fixed_size_list&lt;primitive, n&gt; column as an array (one allocation and one copy a row).</summary>
        private static TItem[]?[] FixedLists<TItem>(FixedSizeListArray list, ReadOnlySpan<TItem> items) where TItem : struct
        {
            int size = ((FixedSizeListType)list.Data.DataType).ListSize;
            var result = new TItem[]?[list.Length];
            for (int i = 0; i < result.Length; i++)
            {
                if (list.IsNull(i)) continue;
                var row = GC.AllocateUninitializedArray<TItem>(size);
                items.Slice((list.Offset + i) * size, size).CopyTo(row);
                result[i] = row;
            }
            return result;
        }

        /// <summary>Element <paramref name="i"/> of <paramref name="array"/> (not null) as <paramref name="clr"/>.</summary>
        private static object? Convert(IArrowArray array, int i, Type clr)
        {
            if (clr.IsArray)
            {
                var element = clr.GetElementType()!;
                (IArrowArray values, int start, int length) = array switch
                {
                    ListArray l => (l.Values, l.ValueOffsets[i], l.ValueOffsets[i + 1] - l.ValueOffsets[i]),
                    LargeListArray l => (l.Values, (int)l.ValueOffsets[i], (int)(l.ValueOffsets[i + 1] - l.ValueOffsets[i])),
                    FixedSizeListArray l => (l.Values, (l.Offset + i) * ((FixedSizeListType)l.Data.DataType).ListSize, ((FixedSizeListType)l.Data.DataType).ListSize),
                    _ => throw new InvalidDataException($"{array.Data.DataType.Name} is not a list"),
                };
                var result = System.Array.CreateInstanceFromArrayType(clr, length);
                for (int k = 0; k < length; k++)
                    result.SetValue(values.IsNull(start + k) ? null : Convert(values, start + k, element), k);
                return result;
            }
            var t = Nullable.GetUnderlyingType(clr) ?? clr;
            // Binary straight into a pooled blob, counted by the run's memory budget (the row owns it).
            if (t == typeof(Blob))
                return array switch
                {
                    BinaryArray b => Blob.CopyOf(b.GetBytes(i)),
                    LargeBinaryArray b => Blob.CopyOf(b.GetBytes(i)),
                    BinaryViewArray b => Blob.CopyOf(b.GetBytes(i)),
                    _ => throw new InvalidDataException($"Arrow type {array.Data.DataType.Name} is not binary."),
                };
            object value = array switch
            {
                StringArray s => s.GetString(i),
                LargeStringArray s => s.GetString(i),
                StringViewArray s => s.GetString(i),
                BooleanArray b => b.GetValue(i)!.Value,
                UInt8Array a => a.GetValue(i)!.Value,
                Int8Array a => a.GetValue(i)!.Value,
                Int16Array a => a.GetValue(i)!.Value,
                UInt16Array a => a.GetValue(i)!.Value,
                Int32Array a => a.GetValue(i)!.Value,
                UInt32Array a => a.GetValue(i)!.Value,
                Int64Array a => a.GetValue(i)!.Value,
                UInt64Array a => a.GetValue(i)!.Value,
                FloatArray a => a.GetValue(i)!.Value,
                DoubleArray a => a.GetValue(i)!.Value,
                Decimal128Array a => a.GetValue(i)!.Value,
                TimestampArray a => a.GetTimestamp(i)!.Value,
                Date32Array a => new DateTimeOffset(a.GetDateTime(i)!.Value, TimeSpan.Zero),
                Date64Array a => new DateTimeOffset(a.GetDateTime(i)!.Value, TimeSpan.Zero),
                _ => throw new InvalidDataException($"Arrow type {array.Data.DataType.Name} cannot be read."),
            };
            if (t == typeof(string)) return value;
            if (t == typeof(Guid)) return Guid.Parse((string)value);
            if (t.IsEnum) return value; // the codec parses names
            if (value is DateTimeOffset dto) return t == typeof(DateTime) ? (object)dto.UtcDateTime : dto; // (object): else the DateTime converts back
            return System.Convert.ChangeType(value, t, System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
