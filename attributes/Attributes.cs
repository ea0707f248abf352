using System;

namespace Sluice
{
    /// <summary>
    /// Marks a <c>static partial</c> class as a pipeline from the input rows to
    /// the output rows. The source generator checks its schema at compile time and
    /// emits a typed <c>Create(PipelineOptions?)</c> entry point.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class PipelineAttribute : Attribute
    {
        /// <summary>Declares the pipeline's input and output record types.</summary>
        public PipelineAttribute(Type input, Type output)
        {
            Input = input;
            Output = output;
        }

        /// <summary>The input record; its properties are the pipeline's first columns.</summary>
        public Type Input { get; }

        /// <summary>The output record; every property must be produced by the pipeline.</summary>
        public Type Output { get; }

        /// <summary>
        /// How the records' properties are named in JSON Lines and CSV files (a property's own <see cref="ColumnAttribute"/>
        /// or <c>[JsonPropertyName]</c> wins). Default: camelCase, and reading matches names case-insensitively.
        /// </summary>
        public ColumnNaming Naming { get; set; }
    }

    /// <summary>How record properties are named in files (<see cref="PipelineAttribute.Naming"/>).</summary>
    public enum ColumnNaming
    {
        /// <summary><c>ImagePath</c> as <c>imagePath</c>.</summary>
        CamelCase,
        /// <summary><c>ImagePath</c> as <c>image_path</c>.</summary>
        SnakeCase,
        /// <summary><c>ImagePath</c> as <c>image-path</c>.</summary>
        KebabCase,
        /// <summary><c>ImagePath</c> as it is.</summary>
        AsDeclared,
    }

    /// <summary>
    /// The name of a record property's column in JSON Lines and CSV files (<c>[Column("image_path")]</c>), when it is
    /// not the property's own name. Inside the pipeline the column keeps the property's name: stage parameters bind
    /// to <c>imagePath</c>. <c>[JsonPropertyName]</c> is honoured the same way. On a positional record, put it on the
    /// parameter or with <c>[property: Column(...)]</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class ColumnAttribute : Attribute
    {
        /// <summary>Names the column <paramref name="name"/> in files.</summary>
        public ColumnAttribute(string name) => Name = name;

        /// <summary>The column's name in files.</summary>
        public string Name { get; }
    }

    /// <summary>
    /// Declares an array property a fixed-size list of <c>size</c> items (<c>[FixedSize(384)] float[] Embedding</c>):
    /// Parquet and Arrow outputs write it as <c>fixed_size_list&lt;T, size&gt;</c>, and a row whose array has another
    /// length is a bad row (dead-lettered, naming the column and both lengths) when it is read or written. On a
    /// positional record, put it on the parameter or with <c>[property: FixedSize(...)]</c>. A property that is no
    /// array, or a size below 1, is a compile-time error (SLU0015).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
    public sealed class FixedSizeAttribute : Attribute
    {
        /// <summary>Declares the list's item count, <paramref name="size"/> (at least 1).</summary>
        public FixedSizeAttribute(int size) => Size = size;

        /// <summary>The number of items every row's array holds.</summary>
        public int Size { get; }
    }

    /// <summary>
    /// A stage that computes one column named after the method (or, for a batch stage, one column per
    /// <c>Span&lt;T&gt;</c> parameter). Parameters bind to columns by name (case-insensitive), or to
    /// resources, <c>PipelineContext</c> and <c>CancellationToken</c> by type.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class StageAttribute : Attribute
    {
        /// <summary>For async stages: how many calls may be in flight at once. Default 16.</summary>
        public int MaxConcurrency { get; set; }

        /// <summary>For batch stages: how many rows one call receives. Default 64.</summary>
        public int BatchSize { get; set; }

        /// <summary>For batch stages: where the work runs. The resource factories see it in <c>PipelineContext.Device</c>.</summary>
        public Device Device { get; set; }

        /// <summary>What happens to a row whose call throws.</summary>
        public OnError OnError { get; set; } = OnError.DeadLetter;

        /// <summary>
        /// The column the stage writes, when not the method's name. A stage that writes a column it also reads
        /// replaces it in place: <c>[Stage] static string Title(string title)</c>, or
        /// <c>[Stage(Column = "Image")] static Image Shrink(Image image)</c>; later stages and the output see the new
        /// value. Not for batch stages, whose columns are named by their <c>Span&lt;T&gt;</c> parameters.
        /// </summary>
        public string? Column { get; set; }
    }

    /// <summary>A predicate: rows for which the method returns <c>false</c> are dropped.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class FilterAttribute : Attribute
    {
        /// <summary>What happens to a row whose call throws.</summary>
        public OnError OnError { get; set; } = OnError.DeadLetter;
    }

    /// <summary>
    /// One row in, any number out: <c>void F(columns..., RowEmitter&lt;T&gt; emit)</c> or
    /// <c>IEnumerable&lt;T&gt; F(columns...)</c>. The new column is named after the method; the other
    /// columns of the row are repeated on every emitted row.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class ExplodeAttribute : Attribute
    {
        /// <summary>What happens to a row whose call throws.</summary>
        public OnError OnError { get; set; } = OnError.DeadLetter;

        /// <summary>The column the explode writes, when not the method's name; one it also reads is replaced (see <see cref="StageAttribute.Column"/>).</summary>
        public string? Column { get; set; }
    }

    /// <summary>
    /// A resource factory <c>static T Name(PipelineContext ctx)</c>: called once per worker that needs it,
    /// reused for every row, disposed at the end of the run when it is disposable.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
    public sealed class ResourceAttribute : Attribute
    {
    }

    /// <summary>What a stage does with a row whose call throws.</summary>
    public enum OnError
    {
        /// <summary>Write the row to the dead-letter file (stage, error, input row) and drop it. The default.</summary>
        DeadLetter = 0,

        /// <summary>Stop the whole run with the error.</summary>
        Fail = 1,

        /// <summary>Drop the row; it is counted as failed.</summary>
        Skip = 2,

        /// <summary>Keep the row with the column's default value (null for references); counted as failed.</summary>
        Null = 3,
    }

    /// <summary>Where a batch stage runs.</summary>
    public enum Device
    {
        /// <summary>On the CPU.</summary>
        Cpu = 0,

        /// <summary>On a GPU when one is available, else on the CPU with a notice.</summary>
        Gpu = 1,
    }
}
