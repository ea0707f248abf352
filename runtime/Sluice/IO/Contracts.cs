using System.Text.Json;

namespace Sluice;

/// <summary>Where a pipeline's input rows come from.</summary>
public interface ISource<T>
{
    /// <summary>A short description for progress and errors (a path, a glob, "memory").</summary>
    string Description { get; }

    /// <summary>Opens a reader for one run.</summary>
    ISourceReader<T> Open(SourceContext<T> context);
}

/// <summary>Reads rows in chunks.</summary>
public interface ISourceReader<T> : IAsyncDisposable
{
    /// <summary>Fills up to <c>buffer.Length</c> rows; returns how many (0 at the end).</summary>
    ValueTask<int> ReadAsync(Memory<T> buffer, CancellationToken cancellationToken);
}

/// <summary>
/// Optional for readers over rows already in memory: hands out slices of them instead of copying
/// them into the runtime's buffer.
/// </summary>
public interface IChunkedSourceReader<T>
{
    /// <summary>The next up to <paramref name="max"/> rows; false at the end. The memory stays valid for the run.</summary>
    bool TryReadChunk(int max, out ReadOnlyMemory<T> rows);
}

/// <summary>
/// Optional for sink writers that keep rows in memory: the runtime builds output rows straight into
/// the span the writer hands out (like <see cref="System.Buffers.IBufferWriter{T}"/>), with no copy.
/// </summary>
public interface IDirectSinkWriter<T>
{
    /// <summary>A span of exactly <paramref name="count"/> rows to fill.</summary>
    Span<T> GetSpan(int count);

    /// <summary>Commits the <paramref name="count"/> rows written into the last span.</summary>
    void Advance(int count);
}

/// <summary>What a source reader gets from the run: the row codec and a place for bad rows.</summary>
public sealed class SourceContext<T>
{
    private readonly Action<string, string, string?>? _badRow;

    /// <summary>Creates a context (the runtime does this; tests may too).</summary>
    public SourceContext(RowCodec<T>? codec, Action<string, string, string?>? badRow = null)
    {
        Codec = codec;
        _badRow = badRow;
    }

    /// <summary>The codec for <typeparamref name="T"/> (from the pipeline, else <see cref="RowCodec{T}.Default"/>).</summary>
    public RowCodec<T>? Codec { get; }

    /// <summary>The codec, or a clear error when <typeparamref name="T"/> has none.</summary>
    public RowCodec<T> RequireCodec() => Codec ?? RowCodec<T>.Default ?? throw RowCodec<T>.Missing();

    /// <summary>
    /// Reports a row that cannot be read (<paramref name="location"/> like "in.jsonl:12", the problem,
    /// and the raw text). It counts as a failed row and is dead-lettered; reading goes on.
    /// Without a run attached it throws.
    /// </summary>
    public void BadRow(string location, string message, string? raw)
    {
        if (_badRow is null) throw new InvalidDataException($"{location}: {message}");
        _badRow(location, message, raw);
    }
}

/// <summary>Where a pipeline's output rows go.</summary>
public interface ISink<T>
{
    /// <summary>A short description for progress and the summary (a path, "memory").</summary>
    string Description { get; }

    /// <summary>Opens a writer for one run.</summary>
    ISinkWriter<T> Open(SinkContext<T> context);
}

/// <summary>Writes rows. Disposing without <see cref="CompleteAsync"/> (failure, cancellation) keeps what was fully written valid.</summary>
public interface ISinkWriter<T> : IAsyncDisposable
{
    /// <summary>Writes rows (the memory is reused after the call returns).</summary>
    ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken);

    /// <summary>Flushes and commits after the last row.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>What a sink writer gets from the run.</summary>
public sealed class SinkContext<T>
{
    private readonly Action<string, string, string?>? _badRow;

    /// <summary>Creates a context (the runtime does this; tests may too).</summary>
    public SinkContext(RowCodec<T>? codec, Action<string, string, string?>? badRow = null)
    {
        Codec = codec;
        _badRow = badRow;
    }

    /// <summary>
    /// Reports a row the sink cannot write (<paramref name="location"/> like "out.parquet", the problem, the row as text):
    /// it counts as a failed row and is dead-lettered; the other rows are written. Without a run attached it throws.
    /// </summary>
    public void BadRow(string location, string message, string? raw)
    {
        if (_badRow is null) throw new InvalidDataException($"{location}: {message}");
        _badRow(location, message, raw);
    }

    /// <summary>The codec for <typeparamref name="T"/>.</summary>
    public RowCodec<T>? Codec { get; }

    /// <summary>The codec, or a clear error when <typeparamref name="T"/> has none.</summary>
    public RowCodec<T> RequireCodec() => Codec ?? RowCodec<T>.Default ?? throw RowCodec<T>.Missing();
}

/// <summary>A column of a record type: its name (the property's) and CLR type.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Type">The property type.</param>
/// <param name="Required">Whether a row without it is an error (non-nullable).</param>
/// <param name="Read">Whether the pipeline reads it (a columnar source skips the others).</param>
public sealed record ColumnInfo(string Name, Type Type, bool Required, bool Read = true)
{
    /// <summary>For an array property (a list column), its element type; else null.</summary>
    public Type? ElementType => Type.IsArray ? Type.GetElementType() : null;

    /// <summary>The type without <see cref="Nullable{T}"/>.</summary>
    public Type ValueType => Nullable.GetUnderlyingType(Type) ?? Type;

    /// <summary>Whether the column may hold nulls: a nullable value type, or a reference type the record does not require.</summary>
    public bool IsNullable => Nullable.GetUnderlyingType(Type) is not null || (!Type.IsValueType && !Required);

    /// <summary>
    /// For an array property declared <c>[FixedSize(n)]</c>, n: every row's array has n items (Arrow's
    /// <c>fixed_size_list&lt;T, n&gt;</c>); null for a list of any length.
    /// </summary>
    public int? FixedSize { get; init; }
}

/// <summary>
/// Receives a batch of records one column at a time (<see cref="RowCodec{T}.WriteColumns"/>): for each column in
/// <see cref="RowCodec{T}.Columns"/> order, its values as the property's type (enums as their names).
/// </summary>
public interface IColumnWriter
{
    /// <summary>The values of column <paramref name="column"/>, one per row; only valid during the call.</summary>
    void Write<TValue>(int column, ReadOnlySpan<TValue> values);
}

/// <summary>
/// Gives a batch of rows one column at a time (<see cref="RowCodec{T}.ReadColumns"/>), as the record's property types.
/// </summary>
public interface IColumnReader
{
    /// <summary>Whether the batch has column <paramref name="column"/> of <see cref="RowCodec{T}.Columns"/>.</summary>
    bool Has(int column);

    /// <summary>The values of column <paramref name="column"/>, one per row (null where the data has none).</summary>
    ReadOnlySpan<TValue> Read<TValue>(int column);

    /// <summary>Whether row <paramref name="row"/> has no value in column <paramref name="column"/>.</summary>
    bool IsNull(int column, int row);

    /// <summary>Reports row <paramref name="row"/> of the batch as unreadable; it is left out, the others go on.</summary>
    void RowFailed(int row, RowFormatException error);
}

/// <summary>
/// Reads and writes one record type as JSON objects and CSV rows without reflection. The generator
/// emits one for each pipeline's input and output type and registers it in <see cref="Default"/>.
/// </summary>
public abstract class RowCodec<T>
{
    /// <summary>The codec registered for <typeparamref name="T"/> (set by generated module initializers).</summary>
    public static RowCodec<T>? Default { get; set; }

    /// <summary>
    /// Why <typeparamref name="T"/>, the record of a pipeline, has no codec (a property files cannot hold; set by the
    /// generated module initializer, SLU1002), or null.
    /// </summary>
    public static string? Unsupported { get; set; }

    /// <summary>The error for a file source or sink over <typeparamref name="T"/> without a codec: why there is none, when known.</summary>
    internal static InvalidOperationException Missing() => new(Unsupported is { } why
        ? $"{typeof(T).Name} cannot be read from or written to files: {why} (SLU1002). Use it in memory (Source.From, Sink.To), or give the property a type JSON Lines and CSV can hold."
        : $"No row codec for {typeof(T).Name}: file sources and sinks need a type that is the input or output of a [Pipeline].");

    /// <summary>The record's columns in declaration order.</summary>
    public abstract IReadOnlyList<ColumnInfo> Columns { get; }

    /// <summary>Writes <paramref name="row"/> as one JSON object.</summary>
    public abstract void WriteJson(Utf8JsonWriter writer, in T row);

    /// <summary>Reads one JSON object (the reader is on its StartObject). Throws <see cref="RowFormatException"/> naming the column on a missing or mistyped column.</summary>
    public abstract T ReadJson(ref Utf8JsonReader reader);

    /// <summary>Writes <paramref name="row"/>'s fields in <see cref="Columns"/> order.</summary>
    public abstract void WriteCsv(CsvRowWriter writer, in T row);

    /// <summary>Reads one CSV row whose fields are mapped to <see cref="Columns"/> order. Throws <see cref="RowFormatException"/> naming the column.</summary>
    public abstract T ReadCsv(CsvRow row);

    /// <summary>Whether the record has payload columns (a <see cref="Blob"/> or another disposable) that a file sink disposes once written.</summary>
    public virtual bool HasPayloads => false;

    /// <summary>Disposes <paramref name="row"/>'s payload columns (a file sink, after it wrote the row: nothing else holds it then).</summary>
    public virtual void DisposePayloads(in T row) { }

    /// <summary>Whether <see cref="CheckRow"/> checks anything: the record declares what its rows must hold (fixed-size lists).</summary>
    public virtual bool ChecksRows => false;

    /// <summary>
    /// Checks what the record declares of a row before it is written (each fixed-size list column has its size): null
    /// when it holds, else the problem naming the column. The run makes a row that fails a bad row and writes the others.
    /// </summary>
    public virtual RowFormatException? CheckRow(in T row) => null;

    /// <summary>Hands <paramref name="rows"/> to <paramref name="writer"/> column by column (columnar formats: Parquet, Arrow).</summary>
    public virtual void WriteColumns(ReadOnlySpan<T> rows, IColumnWriter writer) =>
        throw new NotSupportedException($"{typeof(T).Name} has no columnar codec; rebuild with the current Sluice generator.");

    /// <summary>
    /// Builds the batch's <paramref name="count"/> rows from <paramref name="reader"/> into <paramref name="rows"/>: a required
    /// column the batch lacks throws <see cref="RowFormatException"/>; a row with a null where the record needs a value is
    /// reported through <see cref="IColumnReader.RowFailed"/> and left out. Returns the rows built.
    /// </summary>
    public virtual int ReadColumns(IColumnReader reader, int count, Span<T> rows) =>
        throw new NotSupportedException($"{typeof(T).Name} has no columnar codec; rebuild with the current Sluice generator.");
}

/// <summary>A row that cannot be read: names the column and the problem. Sources add the file and line.</summary>
public sealed class RowFormatException(string column, string message) : FormatException($"column '{column}': {message}")
{
    /// <summary>The column at fault.</summary>
    public string Column { get; } = column;

    /// <summary>A missing required column.</summary>
    public static RowFormatException Missing(string column) => new(column, "is missing");

    /// <summary>A null where the record needs a value.</summary>
    public static RowFormatException Null(string column) => new(column, "is null, but the record's property is not nullable");

    /// <summary>A fixed-size list column whose array has another length.</summary>
    public static RowFormatException WrongLength(string column, int expected, int actual) =>
        new(column, $"has {actual} items, but it is a fixed-size list of {expected}");
}
