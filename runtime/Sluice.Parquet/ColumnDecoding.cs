using System.Buffers;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using TimeUnit = Apache.Arrow.Types.TimeUnit;
using ParquetSharp;

namespace Sluice.Parquet;

/// <summary>Which code turns a Parquet file's pages into Arrow batches.</summary>
public enum ParquetDecoder
{
    /// <summary>
    /// Sluice's own decoder over ParquetSharp's column readers where every column read is one it knows (primitives,
    /// strings, binary, timestamps, dates, and lists of int, long, float or double), else Arrow C++'s.
    /// </summary>
    Auto,

    /// <summary>Always Arrow C++'s record batch reader (ParquetSharp's Arrow API).</summary>
    ArrowCpp,
}

/// <summary>
/// Decodes a row group's columns into Arrow batches with ParquetSharp's column readers (Arrow C++'s Parquet page decoding,
/// values and levels straight into managed buffers) instead of its Arrow record batch reader. Measured on 650,000 rows of
/// id, URL and 384 floats (1 GB snappy): the column readers decode the three columns in 0.3 s, Arrow C++'s batch reader in
/// 1.36 s, which is its list assembly plus the import of every buffer through Apache.Arrow's C data interface; that import
/// calls GC.AddMemoryPressure per buffer and set off a background gen2 collection every few batches (docs/columnar.md).
/// Here the batches' buffers are pooled managed arrays that go back to the pool when the batch is disposed.
/// </summary>
internal static class ColumnDecoding
{
    /// <summary>
    /// The plan for decoding <paramref name="schema"/>'s fields from <paramref name="leaves"/> (one leaf per field), or
    /// null where a field is one this decoder does not know (then Arrow C++ reads the file).
    /// </summary>
    public static ColumnPlan[]? Plan(Schema schema, SchemaDescriptor parquet, int[] leaves)
    {
        var fields = schema.FieldsList;
        if (fields.Count != leaves.Length) return null; // a struct, map or nested list has several leaves
        var plan = new ColumnPlan[fields.Count];
        for (int i = 0; i < fields.Count; i++)
        {
            var column = parquet.Column(leaves[i]);
            using (var path = column.Path)
                if (!string.Equals(path.ToDotVector()[0], fields[i].Name, StringComparison.Ordinal)) return null;
            var physical = column.PhysicalType;
            using (var logical = column.LogicalType)
                if (!SameValues(fields[i].DataType is ListType l ? l.ValueDataType : fields[i].DataType, logical)) return null;
            int maxDef = column.MaxDefinitionLevel, maxRep = column.MaxRepetitionLevel;
            var field = fields[i];
            if (maxRep == 0)
            {
                if (maxDef != (field.IsNullable ? 1 : 0) || !Primitive(field.DataType, physical, allowText: true)) return null;
                plan[i] = new ColumnPlan(leaves[i], field, physical, maxDef, false, false, false);
            }
            else
            {
                if (maxRep != 1 || field.DataType is not ListType list) return null;
                bool listNullable = field.IsNullable, itemNullable = list.ValueField.IsNullable;
                if (maxDef != (listNullable ? 1 : 0) + 1 + (itemNullable ? 1 : 0)) return null;
                if (!Primitive(list.ValueDataType, physical, allowText: false) || list.ValueDataType is BooleanType) return null;
                plan[i] = new ColumnPlan(leaves[i], field, physical, maxDef, true, listNullable, itemNullable);
            }
        }
        return plan;
    }

    /// <summary>
    /// Whether the stored values are the Arrow type's as they are: a timestamp in the unit the Arrow schema says (a file
    /// whose stored Arrow schema says seconds keeps milliseconds, which Arrow C++ converts), integers of their full width.
    /// </summary>
    private static bool SameValues(IArrowType type, LogicalType logical) => type switch
    {
        TimestampType ts => logical is TimestampLogicalType t && t.TimeUnit == ts.Unit switch
        {
            TimeUnit.Millisecond => ParquetSharp.TimeUnit.Millis,
            TimeUnit.Microsecond => ParquetSharp.TimeUnit.Micros,
            TimeUnit.Nanosecond => ParquetSharp.TimeUnit.Nanos,
            _ => (ParquetSharp.TimeUnit)(-1),
        },
        Date32Type => logical is DateLogicalType,
        Int32Type => logical is NoneLogicalType || logical is IntLogicalType { BitWidth: 32, IsSigned: true },
        Int64Type => logical is NoneLogicalType || logical is IntLogicalType { BitWidth: 64, IsSigned: true },
        _ => true,
    };

    /// <summary>Whether <paramref name="type"/> is read from <paramref name="physical"/> values as they are.</summary>
    private static bool Primitive(IArrowType type, PhysicalType physical, bool allowText) => type switch
    {
        BooleanType => physical == PhysicalType.Boolean,
        Int32Type or Date32Type => physical == PhysicalType.Int32,
        Int64Type => physical == PhysicalType.Int64,
        TimestampType => physical == PhysicalType.Int64, // INT96 timestamps need converting: Arrow C++ reads those
        FloatType => physical == PhysicalType.Float,
        DoubleType => physical == PhysicalType.Double,
        StringType or BinaryType => allowText && physical == PhysicalType.ByteArray,
        _ => false,
    };

    /// <summary>Gives one row group's batches.</summary>
    public sealed class RowGroup : IDisposable
    {
        private readonly ParquetSharp.RowGroupReader _group;
        private readonly Schema _schema;
        private readonly ColumnDecoder[] _columns;
        private readonly long _rows;
        private long _given;

        public RowGroup(ParquetFileReader file, int index, Schema schema, ColumnPlan[] plan)
        {
            _schema = schema;
            _group = file.RowGroup(index);
            _rows = _group.MetaData.NumRows;
            _columns = new ColumnDecoder[plan.Length];
            try
            {
                for (int i = 0; i < plan.Length; i++)
                {
                    long levels;
                    using (var chunk = _group.MetaData.GetColumnChunkMetaData(plan[i].Leaf)) levels = chunk.NumValues;
                    _columns[i] = ColumnDecoder.Create(_group.Column(plan[i].Leaf), plan[i], _rows == 0 ? 1 : (double)levels / _rows);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>
        /// The next batch of up to <paramref name="rows"/> rows, or null at the end of the group; <paramref name="owners"/>
        /// gets the pooled arrays its buffers are in.
        /// </summary>
        public RecordBatch? Next(int rows, List<Pooled> owners)
        {
            int want = (int)Math.Min(rows, _rows - _given);
            if (want <= 0) return null;
            var arrays = new IArrowArray[_columns.Length];
            try
            {
                for (int i = 0; i < _columns.Length; i++)
                {
                    _columns[i].Owners = owners;
                    arrays[i] = _columns[i].Read(want);
                    if (arrays[i].Length != want)
                        throw new InvalidDataException(
                            $"column '{_schema.FieldsList[i].Name}' ends after {_given + arrays[i].Length:N0} of the row group's {_rows:N0} rows");
                }
            }
            catch
            {
                foreach (var a in arrays) a?.Dispose();
                foreach (var o in owners) o.Dispose();
                owners.Clear();
                throw;
            }
            _given += want;
            return new RecordBatch(_schema, arrays, want);
        }

        public void Dispose()
        {
            foreach (var c in _columns) c?.Dispose();
            _group.Dispose();
        }
    }

    /// <summary>How one field is read: its leaf column, its Arrow field, and the shape of its levels.</summary>
    public sealed record ColumnPlan(int Leaf, Field Field, PhysicalType Physical, int MaxDef, bool IsList, bool ListNullable, bool ItemNullable);

    private abstract class ColumnDecoder : IDisposable
    {
        protected ColumnDecoder(ColumnReader reader, ColumnPlan plan)
        {
            Reader = reader;
            Plan = plan;
        }

        protected ColumnReader Reader { get; }

        protected ColumnPlan Plan { get; }

        /// <summary>The next <paramref name="rows"/> rows (fewer only where the column chunk ends early).</summary>
        public abstract IArrowArray Read(int rows);

        public void Dispose() => Reader.Dispose();

        public static ColumnDecoder Create(ColumnReader reader, ColumnPlan plan, double levelsPerRow)
        {
            try
            {
                if (plan.IsList)
                    return plan.Physical switch
                    {
                        PhysicalType.Int32 => new ListDecoder<int>(reader, plan, levelsPerRow),
                        PhysicalType.Int64 => new ListDecoder<long>(reader, plan, levelsPerRow),
                        PhysicalType.Float => new ListDecoder<float>(reader, plan, levelsPerRow),
                        _ => new ListDecoder<double>(reader, plan, levelsPerRow),
                    };
                return plan.Physical switch
                {
                    PhysicalType.Boolean => new BooleanDecoder(reader, plan),
                    PhysicalType.Int32 => new ValueDecoder<int>(reader, plan),
                    PhysicalType.Int64 => new ValueDecoder<long>(reader, plan),
                    PhysicalType.Float => new ValueDecoder<float>(reader, plan),
                    PhysicalType.Double => new ValueDecoder<double>(reader, plan),
                    _ => new BytesDecoder(reader, plan),
                };
            }
            catch
            {
                reader.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Reads up to <paramref name="rows"/> levels of a column without repetition into <paramref name="def"/> and
        /// <paramref name="values"/> (the values of the rows that are not null, packed); gives the rows read.
        /// </summary>
        protected int ReadFlat<T>(int rows, Span<short> def, Span<T> values, out int present) where T : unmanaged
        {
            var reader = (ColumnReader<T>)Reader;
            int got = 0;
            present = 0;
            while (got < rows && reader.HasNext)
            {
                long read, valuesRead;
                if (Plan.MaxDef == 0) valuesRead = read = reader.ReadBatch(rows - got, values[present..], out _);
                else read = reader.ReadBatch(rows - got, def[got..], default, values[present..], out valuesRead);
                if (read == 0) break;
                got += (int)read;
                present += (int)valuesRead;
            }
            return got;
        }

        /// <summary>The validity bitmap of <paramref name="def"/> (null where a level is below <paramref name="maxDef"/>), or none if all are valid.</summary>
        protected ArrowBuffer Validity(ReadOnlySpan<short> def, short maxDef, out int nulls)
        {
            nulls = 0;
            if (def.IndexOfAnyExcept(maxDef) < 0) return ArrowBuffer.Empty;
            var owner = Pooled.Rent((def.Length + 7) / 8);
            var bits = owner.Memory.Span;
            bits.Clear();
            for (int i = 0; i < def.Length; i++)
            {
                if (def[i] == maxDef) bits[i >> 3] |= (byte)(1 << (i & 7));
                else nulls++;
            }
            return Keep(owner);
        }

        /// <summary>Where the pooled arrays of the batch being made are listed (given back when the batch is released).</summary>
        public List<Pooled>? Owners { get; set; }

        /// <summary>An Arrow buffer over <paramref name="owner"/>'s bytes, listed as the batch's.</summary>
        protected ArrowBuffer Keep(Pooled owner)
        {
            Owners!.Add(owner);
            return new ArrowBuffer(owner.Memory);
        }

        protected IArrowArray Build(int length, int nulls, ArrowBuffer[] buffers, ArrayData[]? children = null) =>
            ArrowArrayFactory.BuildArray(new ArrayData(Plan.Field.DataType, length, nulls, 0, buffers, children));
    }

    /// <summary>int, long, float or double (also timestamps and dates, which are their int64 or int32 values).</summary>
    private sealed class ValueDecoder<T>(ColumnReader reader, ColumnPlan plan) : ColumnDecoder(reader, plan) where T : unmanaged
    {
        private short[] _def = [];

        public override IArrowArray Read(int rows)
        {
            if (_def.Length < rows) _def = new short[rows];
            var owner = Pooled.Rent(rows * Marshal.SizeOf<T>());
            try
            {
                var values = MemoryMarshal.Cast<byte, T>(owner.Memory.Span);
                int got = ReadFlat(rows, _def, values, out int present);
                var def = _def.AsSpan(0, got);
                var validity = Plan.MaxDef == 0 ? ArrowBuffer.Empty : Validity(def, (short)Plan.MaxDef, out _);
                int nulls = got - present;
                if (nulls > 0)
                {
                    // Spread the packed values to their rows, from the end, leaving nulls as zero.
                    int j = present - 1;
                    for (int i = got - 1; i >= 0; i--) values[i] = def[i] == Plan.MaxDef ? values[j--] : default;
                }
                owner.Length = got * Marshal.SizeOf<T>();
                return Build(got, nulls, [validity, Keep(owner)]);
            }
            catch
            {
                owner.Dispose();
                throw;
            }
        }
    }

    private sealed class BooleanDecoder(ColumnReader reader, ColumnPlan plan) : ColumnDecoder(reader, plan)
    {
        private short[] _def = [];
        private bool[] _values = [];

        public override IArrowArray Read(int rows)
        {
            if (_def.Length < rows) { _def = new short[rows]; _values = new bool[rows]; }
            int got = ReadFlat<bool>(rows, _def, _values, out int present);
            var def = _def.AsSpan(0, got);
            var validity = Plan.MaxDef == 0 ? ArrowBuffer.Empty : Validity(def, (short)Plan.MaxDef, out _);
            var owner = Pooled.Rent((got + 7) / 8);
            var bits = owner.Memory.Span;
            bits.Clear();
            for (int i = 0, j = 0; i < got; i++)
                if ((Plan.MaxDef == 0 || def[i] == Plan.MaxDef) && _values[j++]) bits[i >> 3] |= (byte)(1 << (i & 7));
            return Build(got, got - present, [validity, Keep(owner)]);
        }
    }

    /// <summary>Strings and binary: each value's bytes copied out of the page into one data buffer, with offsets.</summary>
    private sealed class BytesDecoder(ColumnReader reader, ColumnPlan plan) : ColumnDecoder(reader, plan)
    {
        private short[] _def = [];
        private ByteArray[] _values = [];

        public override IArrowArray Read(int rows)
        {
            if (_def.Length < rows) { _def = new short[rows]; _values = new ByteArray[rows]; }
            var offsetsOwner = Pooled.Rent((rows + 1) * sizeof(int));
            Pooled? dataOwner = null;
            try
            {
                var reader = (ColumnReader<ByteArray>)Reader;
                var offsets = MemoryMarshal.Cast<byte, int>(offsetsOwner.Memory.Span);
                offsets[0] = 0;
                int got = 0, length = 0;
                dataOwner = Pooled.Rent(Math.Max(64, rows * 32));
                // Page memory is only valid until the next read, so each read's bytes are copied before the next.
                while (got < rows && reader.HasNext)
                {
                    int want = rows - got;
                    long read = Plan.MaxDef == 0
                        ? reader.ReadBatch(want, _values.AsSpan(got, want), out _)
                        : reader.ReadBatch(want, _def.AsSpan(got, want), default, _values.AsSpan(got, want), out _);
                    if (read == 0) break;
                    int n = (int)read, j = got; // the present values of this read are packed at _values[got..]
                    long bytes = 0;
                    for (int i = got; i < got + n; i++) if (Plan.MaxDef == 0 || _def[i] == Plan.MaxDef) bytes += _values[j++].Length;
                    if (length + bytes > int.MaxValue) throw new InvalidDataException($"column '{Plan.Field.Name}': over 2 GB of values in one batch");
                    dataOwner = dataOwner.Grow(length, (int)(length + bytes));
                    var data = dataOwner.Memory.Span;
                    j = got;
                    for (int i = got; i < got + n; i++)
                    {
                        if (Plan.MaxDef == 0 || _def[i] == Plan.MaxDef)
                        {
                            var value = _values[j++];
                            if (value.Length > 0)
                            {
                                unsafe { new ReadOnlySpan<byte>((void*)value.Pointer, value.Length).CopyTo(data[length..]); }
                                length += value.Length;
                            }
                        }
                        offsets[i + 1] = length;
                    }
                    got += n;
                }
                int nulls = 0;
                var validity = Plan.MaxDef == 0 ? ArrowBuffer.Empty : Validity(_def.AsSpan(0, got), (short)Plan.MaxDef, out nulls);
                offsetsOwner.Length = (got + 1) * sizeof(int);
                dataOwner.Length = length;
                return Build(got, nulls, [validity, Keep(offsetsOwner), Keep(dataOwner)]);
            }
            catch
            {
                offsetsOwner.Dispose();
                dataOwner?.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// A list of int, long, float or double. Levels are read a window at a time, and the window's values straight into the
    /// batch's values buffer after the values before them; a batch ends at a row's start, and what is left of the window
    /// (levels, and its values moved aside) is the next batch's. A window with a null item is moved aside too and its values
    /// copied one by one, with zeros for the nulls. Reading in place saved a copy of every value: 0.1 s of 0.8 s for 650,000
    /// rows of 384 floats.
    /// </summary>
    private sealed class ListDecoder<T> : ColumnDecoder where T : unmanaged
    {
        private const int Window = 1 << 16;
        private readonly short[] _def = new short[Window], _rep = new short[Window];
        private readonly T[] _aside = new T[Window];
        private readonly double _levelsPerRow;
        private int _count, _at; // the window's levels, and the next one to use
        private int _valueAt; // the next value: in _aside when _isAside, else in the batch's values buffer
        private bool _isAside;

        public ListDecoder(ColumnReader reader, ColumnPlan plan, double levelsPerRow) : base(reader, plan) => _levelsPerRow = levelsPerRow;

        public override IArrowArray Read(int rows)
        {
            int size = Marshal.SizeOf<T>();
            short maxDef = (short)Plan.MaxDef, itemLevel = (short)(Plan.ListNullable ? 2 : 1); // defs at or above: an item
            var reader = (ColumnReader<T>)Reader;
            var offsetsOwner = Pooled.Rent((rows + 1) * sizeof(int));
            Pooled? listValidity = null, itemValidity = null, valuesOwner = null;
            try
            {
                var offsets = MemoryMarshal.Cast<byte, int>(offsetsOwner.Memory.Span);
                valuesOwner = Pooled.Rent((int)Math.Min(int.MaxValue, ((long)(rows * _levelsPerRow) + Window + 16) * size));
                int done = 0, count = 0, nullLists = 0, nullItems = 0;
                while (true)
                {
                    if (_at == _count)
                    {
                        if (!reader.HasNext) break;
                        // Room for a whole window of values after the batch's values, then read them in place.
                        valuesOwner = valuesOwner.Grow(count * size, (count + Window) * size);
                        var into = MemoryMarshal.Cast<byte, T>(valuesOwner.Memory.Span).Slice(count, Window);
                        _count = (int)reader.ReadBatch(Window, _def, _rep, into, out long read);
                        _at = 0;
                        if (_count == 0) break;
                        _valueAt = count;
                        _isAside = Plan.ItemNullable && _def.AsSpan(0, _count).IndexOfAnyInRange(itemLevel, (short)(maxDef - 1)) >= 0;
                        if (_isAside)
                        {
                            into[..(int)read].CopyTo(_aside);
                            _valueAt = 0;
                        }
                    }
                    if (_rep[_at] == 0)
                    {
                        if (done == rows) break;
                        offsets[done] = count;
                        if (Plan.ListNullable && _def[_at] == 0)
                        {
                            listValidity ??= Bitmap(rows, done);
                            nullLists++;
                        }
                        else listValidity?.SetBit(done);
                        done++;
                    }
                    else if (done == 0)
                        throw new InvalidDataException($"column '{Plan.Field.Name}': a row group's levels start inside a list");
                    // The levels of this row in the window: up to the next row's start.
                    int end = _rep.AsSpan(_at + 1, _count - _at - 1).IndexOf((short)0);
                    end = end < 0 ? _count : _at + 1 + end;
                    var defs = _def.AsSpan(_at, end - _at);
                    if (!_isAside)
                    {
                        // In place, with no null item in the window: the values are where they belong.
                        int present = defs.IndexOfAnyExcept(maxDef) < 0 ? defs.Length : defs.Count(maxDef);
                        itemValidity?.SetBits(count, present);
                        count += present;
                        _valueAt += present;
                    }
                    else
                    {
                        foreach (short d in defs)
                        {
                            if (d < itemLevel) continue; // a null or empty list: no item
                            valuesOwner = valuesOwner.Grow(count * size, (count + 1) * size);
                            var values = MemoryMarshal.Cast<byte, T>(valuesOwner.Memory.Span);
                            if (d == maxDef)
                            {
                                values[count] = _aside[_valueAt++];
                                itemValidity?.SetBit(count);
                            }
                            else
                            {
                                values[count] = default; // a null item
                                itemValidity ??= Bitmap(Math.Max(count + 1, (int)Math.Min(int.MaxValue / 8, rows * _levelsPerRow)), count);
                                nullItems++;
                            }
                            count++;
                        }
                    }
                    _at = end;
                }
                if (!_isAside && _at < _count)
                {
                    // The rest of the window is the next batch's: its values go aside.
                    int rest = _def.AsSpan(_at, _count - _at).Count(maxDef);
                    MemoryMarshal.Cast<byte, T>(valuesOwner.Memory.Span).Slice(_valueAt, rest).CopyTo(_aside);
                    _valueAt = 0;
                    _isAside = true;
                }
                offsets[done] = count;
                offsetsOwner.Length = (done + 1) * sizeof(int);
                valuesOwner.Length = count * size;
                if (itemValidity is not null) itemValidity.Length = (count + 7) / 8;
                if (listValidity is not null) listValidity.Length = (done + 7) / 8;
                var list = (ListType)Plan.Field.DataType;
                var items = new ArrayData(list.ValueDataType, count, nullItems, 0,
                    [itemValidity is null ? ArrowBuffer.Empty : Keep(itemValidity), Keep(valuesOwner)]);
                return Build(done, nullLists, [listValidity is null ? ArrowBuffer.Empty : Keep(listValidity), Keep(offsetsOwner)], [items]);
            }
            catch
            {
                offsetsOwner.Dispose();
                listValidity?.Dispose();
                itemValidity?.Dispose();
                valuesOwner?.Dispose();
                throw;
            }
        }

        /// <summary>A bitmap for <paramref name="capacity"/> entries whose first <paramref name="valid"/> are set.</summary>
        private static Pooled Bitmap(int capacity, int valid)
        {
            var owner = Pooled.Rent((capacity + 7) / 8);
            owner.Memory.Span.Clear();
            owner.SetBits(0, valid);
            return owner;
        }
    }

    /// <summary>
    /// A byte array from the shared pool, given back when the batch it is in is released (<see cref="Sluice.Arrow.IBatchFileReader.Release(RecordBatch)"/>).
    /// Apache.Arrow's ArrowBuffer over an owner that is disposed with it is internal, so the owners are kept beside the batch.
    /// </summary>
    internal sealed class Pooled : IMemoryOwner<byte>
    {
        private byte[]? _array;

        private Pooled(byte[] array, int length)
        {
            _array = array;
            Length = length;
        }

        /// <summary>
        /// The decoder's own pool, four arrays a size, arrays up to 128 MB: a batch in the making, two queued and one being
        /// read need four of each. Against ArrayPool.Shared (per-thread and per-core stacks; the worker rents, the consuming
        /// thread returns) reading a 4 GB file at a 512 MB limit took 3.8-4.3 s against 4.7-7.0 s; one array a size
        /// allocated more and peaked higher (600-690 MB against 585 MB).
        /// </summary>
        private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1 << 27, maxArraysPerBucket: 4);

        public static Pooled Rent(int length) => new(Pool.Rent(Math.Max(length, 1)), length);

        /// <summary>The bytes the buffer has (at most the array's length).</summary>
        public int Length { get; set; }

        public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(Pooled))).AsMemory(0, Length);

        /// <summary>This, or a bigger one with the first <paramref name="used"/> bytes, where <paramref name="needed"/> do not fit.</summary>
        public Pooled Grow(int used, int needed)
        {
            var array = _array!;
            if (needed <= array.Length)
            {
                if (needed > Length) Length = needed;
                return this;
            }
            var bigger = Rent((int)Math.Min(System.Array.MaxLength, Math.Max((long)needed, array.Length * 2L)));
            array.AsSpan(0, used).CopyTo(bigger._array);
            Dispose();
            bigger.Length = bigger._array!.Length;
            return bigger;
        }

        public void SetBit(int i)
        {
            if ((i >> 3) >= Length) Grow(Length, (i >> 3) + 1, clear: true);
            _array![i >> 3] |= (byte)(1 << (i & 7));
        }

        public void SetBits(int start, int count)
        {
            for (int i = start; i < start + count; i++) SetBit(i);
        }

        private void Grow(int used, int needed, bool clear)
        {
            var array = _array!;
            if (needed > array.Length)
            {
                var bigger = Pool.Rent(Math.Max(needed, array.Length * 2));
                array.AsSpan(0, used).CopyTo(bigger);
                Pool.Return(array);
                _array = array = bigger;
            }
            if (clear) array.AsSpan(Length, needed - Length).Clear();
            Length = needed;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array) Pool.Return(array);
        }
    }
}
