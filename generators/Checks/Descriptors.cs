using Microsoft.CodeAnalysis;

namespace Sluice.Generators.Checks;

/// <summary>Every diagnostic the generator reports. IDs are stable; docs/diagnostics.md documents each.</summary>
internal static class Descriptors
{
    private const string Category = "Sluice";
    private const string Help = "https://github.com/sluice/sluice/blob/main/docs/diagnostics.md";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, true, helpLinkUri: Help + "#" + id.ToLowerInvariant());

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, true, helpLinkUri: Help + "#" + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor NotStaticPartial = Error("SLU0001",
        "Pipeline class must be static partial",
        "Pipeline class '{0}' must be declared 'static partial' at the top level of a namespace{1}");

    public static readonly DiagnosticDescriptor UnknownColumn = Error("SLU0002",
        "Unknown column",
        "Stage '{0}': parameter '{1}' names no column available at this point (available: {2}){3}");

    public static readonly DiagnosticDescriptor TypeMismatch = Error("SLU0003",
        "Column type mismatch",
        "Stage '{0}': parameter '{1}' is {2} but column '{3}' is {4}");

    public static readonly DiagnosticDescriptor OutputNotProduced = Error("SLU0004",
        "Output column not produced",
        "Pipeline '{0}': output property '{1}' of {2} is produced by no stage and is not an input column (available: {3})");

    public static readonly DiagnosticDescriptor ColumnWrittenTwice = Error("SLU0005",
        "Column written twice",
        "Stage '{0}' writes column '{1}', which {2} already produces; rename the stage or the column{3}");

    public static readonly DiagnosticDescriptor BadSignature = Error("SLU0006",
        "Signature fits no stage kind",
        "Stage '{0}' has a signature that fits no stage kind: {1}");

    public static readonly DiagnosticDescriptor UnresolvedResource = Error("SLU0007",
        "Resource does not resolve",
        "Stage '{0}': parameter '{1}' of type {2} is neither a column nor made by a [Resource] method; add '[Resource] static {2} {3}(PipelineContext ctx)' or bind a column named '{1}'");

    public static readonly DiagnosticDescriptor NotStaticOrGeneric = Error("SLU0008",
        "Stage must be static and non-generic",
        "Method '{0}' is marked as a stage or resource but is {1}; stages and resources must be static, non-generic methods");

    public static readonly DiagnosticDescriptor OutputTypeMismatch = Error("SLU0009",
        "Output column type mismatch",
        "Pipeline '{0}': output property '{1}' is {2} but column '{1}' is {3}");

    public static readonly DiagnosticDescriptor BadResource = Error("SLU0010",
        "Invalid resource factory",
        "Resource '{0}' must return a value and take no parameters or one PipelineContext: {1}");

    public static readonly DiagnosticDescriptor BadOption = Error("SLU0011",
        "Invalid stage option",
        "Stage '{0}': {1}");

    public static readonly DiagnosticDescriptor PayloadAcrossExplode = Error("SLU0012",
        "Disposable column used after an explode",
        "Column '{0}' is disposable and is read after explode '{1}'; a payload cannot be shared by the rows an explode emits. Read it before the explode, or have the explode emit what later stages need.");

    public static readonly DiagnosticDescriptor RecordNotConstructible = Error("SLU0013",
        "Output type cannot be constructed",
        "Pipeline '{0}': {1} has no constructor or settable properties the pipeline can fill: {2}");

    public static readonly DiagnosticDescriptor DuplicateResource = Error("SLU0014",
        "Two resources of one type",
        "Resources '{0}' and '{1}' both make {2}; stage parameters bind resources by type, so keep one");

    public static readonly DiagnosticDescriptor BadFixedSize = Error("SLU0015",
        "Invalid fixed-size list",
        "{0}.{1}: [FixedSize({2})] {3}");

    public static readonly DiagnosticDescriptor UnusedStage = Warning("SLU1001",
        "Stage result is never read",
        "Stage '{0}' computes column '{1}', which no later stage and no output property reads; the stage is not run");

    public static readonly DiagnosticDescriptor AsyncWithoutCancellation = Warning("SLU1003",
        "Async stage takes no CancellationToken",
        "Async stage '{0}' takes no CancellationToken: Ctrl-C, --max-failed-rows and a failing run cannot stop its calls, which run until they end by themselves; add a 'CancellationToken ct' parameter and pass it on");

    // A warning (it was information, which dotnet build does not show): a record that cannot go to files fails
    // as soon as a file source or sink is used, so say so where the record is declared.
    public static readonly DiagnosticDescriptor NullableIntoNonNullable = Warning("SLU1004",
        "Nullable column into a non-nullable one",
        "{0}: {1} is {2}, but column '{3}' is {4} and may be null; declare {1} nullable, or make '{3}' non-nullable");

    public static readonly DiagnosticDescriptor NoCodec = Warning("SLU1002",
        "Record type has no JSON/CSV codec",
        "{0} has property '{1}' of type {2}, which JSON Lines and CSV files cannot hold; file sources and sinks cannot be used with it (in memory it runs)");

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        "SLU0001" => NotStaticPartial,
        "SLU0002" => UnknownColumn,
        "SLU0003" => TypeMismatch,
        "SLU0004" => OutputNotProduced,
        "SLU0005" => ColumnWrittenTwice,
        "SLU0006" => BadSignature,
        "SLU0007" => UnresolvedResource,
        "SLU0008" => NotStaticOrGeneric,
        "SLU0009" => OutputTypeMismatch,
        "SLU0010" => BadResource,
        "SLU0011" => BadOption,
        "SLU0012" => PayloadAcrossExplode,
        "SLU0013" => RecordNotConstructible,
        "SLU0014" => DuplicateResource,
        "SLU0015" => BadFixedSize,
        "SLU1001" => UnusedStage,
        "SLU1002" => NoCodec,
        "SLU1003" => AsyncWithoutCancellation,
        "SLU1004" => NullableIntoNonNullable,
        _ => throw new System.ArgumentException("Unknown diagnostic " + id),
    };
}
