using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Sluice.Generators.Model;

// Plain, value-equatable descriptions of a pipeline: no ISymbol, SyntaxNode or Compilation is kept,
// so the incremental pipeline can cache them across edits.

/// <summary>How a JSON/CSV codec reads and writes a type.</summary>
internal enum CodecKind { None, Scalar, Enum, Array }

/// <summary>A type as the emitter needs it.</summary>
internal sealed record TypeRef(
    string Name,              // fully qualified, with nullable annotation: global::System.String?
    string Display,           // short form for messages: string?
    string TypeOfName,        // usable in typeof(): no nullable reference annotations
    bool IsReferenceType,
    bool IsDisposable,
    CodecKind Codec,
    string? ElementName);     // arrays: the element type; enums/scalars: the type without '?'

internal enum StageKind { Map, Filter, Explode, Async, Batch }

internal enum ParamKind { Column, Resource, CancellationToken, Context, Emitter, OutputSpan }

/// <summary>One parameter of a stage, resolved to what it binds to.</summary>
internal sealed record ParamModel(ParamKind Kind, int Index, string Name);

/// <summary>One column: an input property or a stage's output.</summary>
internal sealed record ColumnModel(string Name, TypeRef Type, int Producer, string? Id = null) // Producer: -1 input, else stage index
{
    /// <summary>The column's name in generated identifiers: its name, or for a stage that replaces a column in place (a second column of that name) one made unique.</summary>
    public string Key => Id ?? Name;
}

internal sealed record StageModel(
    string Method,
    StageKind Kind,
    int OnError,              // Sluice.OnError value
    int MaxConcurrency,
    int BatchSize,
    int Device,
    EquatableArray<ParamModel> Parameters,
    EquatableArray<int> Writes,   // column indices
    bool ReturnsTask,             // async: Task<T> (else ValueTask<T>)
    bool ExplodeEnumerable,       // explode: returns IEnumerable<T> (else RowEmitter<T> parameter)
    LocationInfo? Location);

internal sealed record ResourceModel(string Method, TypeRef Type, bool TakesContext, bool IsAsyncDisposable);

internal sealed record PropertyModel(string Name, TypeRef Type, bool Required, bool Settable, string FileName = "", bool Read = true, int FixedSize = 0); // FileName: its column's name in files; Read: a stage or the output reads it; FixedSize: [FixedSize(n)], 0 when none

/// <summary>A record type: its properties and how to construct it.</summary>
internal sealed record RecordModel(
    TypeRef Type,
    EquatableArray<PropertyModel> Properties,
    EquatableArray<int> ConstructorArguments,  // property indices in constructor parameter order
    bool CanConstruct,
    bool CodecSupported,
    string? ConstructionProblem = null) // why CanConstruct is false, for SLU0013
{
    /// <summary>The first property JSON Lines and CSV cannot hold, as the run-time error says it (null when the codec is supported).</summary>
    public string? CodecProblem => Properties.FirstOrDefault(p => p.Type.Codec == CodecKind.None) is { } bad
        ? $"its property '{bad.Name}' is {bad.Type.Display}, which JSON Lines and CSV cannot hold" : null;
}

/// <summary>Where a diagnostic points, without a SyntaxTree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}

/// <summary>A diagnostic to report, as data.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);

/// <summary>A checked pipeline.</summary>
internal sealed record PipelineModel(
    string? Namespace,
    string ClassName,
    string Accessibility,
    RecordModel Input,
    RecordModel Output,
    EquatableArray<ColumnModel> Columns,
    EquatableArray<StageModel> Stages,
    EquatableArray<ResourceModel> Resources,
    EquatableArray<int> OutputColumns);   // per output property: the column it comes from

/// <summary>The transform's result: a model to emit (null when the pipeline has errors) and diagnostics.</summary>
internal sealed record PipelineResult(string ClassName, string? Namespace, string Accessibility, PipelineModel? Model, Plan? Plan, EquatableArray<DiagnosticInfo> Diagnostics,
    string? InputTypeName = null, string? OutputTypeName = null); // the record types when known, for the entry points of a broken pipeline
