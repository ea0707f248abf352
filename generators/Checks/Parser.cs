using System.Collections.Immutable;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Sluice.Generators.Model;

namespace Sluice.Generators.Checks;

/// <summary>
/// Reads one [Pipeline] class with the semantic model, builds its schema column by column in
/// declaration order, binds every stage parameter, and reports what does not fit. Produces plain
/// models only: nothing here escapes holding a symbol.
/// </summary>
internal sealed class Parser
{
    private static readonly SymbolDisplayFormat s_fullName = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat s_shortName = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly Compilation _compilation;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly INamedTypeSymbol? _disposable;
    private readonly INamedTypeSymbol? _asyncDisposable;
    private readonly INamedTypeSymbol? _cancellationToken;
    private readonly INamedTypeSymbol? _context;
    private readonly INamedTypeSymbol? _emitter;
    private readonly INamedTypeSymbol? _task;
    private readonly INamedTypeSymbol? _valueTask;
    private readonly INamedTypeSymbol? _enumerable;
    private readonly INamedTypeSymbol? _span;
    private readonly INamedTypeSymbol? _readOnlySpan;

    private Parser(Compilation compilation)
    {
        _compilation = compilation;
        _disposable = compilation.GetTypeByMetadataName("System.IDisposable");
        _asyncDisposable = compilation.GetTypeByMetadataName("System.IAsyncDisposable");
        _cancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        _context = compilation.GetTypeByMetadataName("Sluice.PipelineContext");
        _emitter = compilation.GetTypeByMetadataName("Sluice.RowEmitter`1");
        _task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        _valueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        _enumerable = compilation.GetTypeByMetadataName("System.Collections.Generic.IEnumerable`1");
        _span = compilation.GetTypeByMetadataName("System.Span`1");
        _readOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
    }

    public static PipelineResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var parser = new Parser(context.SemanticModel.Compilation);
        return parser.Run((INamedTypeSymbol)context.TargetSymbol, (ClassDeclarationSyntax)context.TargetNode, context.Attributes[0], cancellationToken);
    }

    private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] args) =>
        _diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(location), args.ToEquatableArray()));

    private PipelineResult Run(INamedTypeSymbol cls, ClassDeclarationSyntax syntax, AttributeData attribute, CancellationToken ct)
    {
        string? ns = cls.ContainingNamespace.IsGlobalNamespace ? null : cls.ContainingNamespace.ToDisplayString();
        string name = cls.Name;
        var input = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as INamedTypeSymbol : null;
        var output = attribute.ConstructorArguments.Length > 1 ? attribute.ConstructorArguments[1].Value as INamedTypeSymbol : null;
        string access = cls.DeclaredAccessibility == Accessibility.Public
                        && IsPublic(input) && IsPublic(output) ? "public" : "internal";

        // Even a pipeline with errors gets its entry points (typed when the records are known), so that one
        // mistake gives its one SLU diagnostic and no CS0117 for every call of Create or RunAsync.
        bool typed = input is { TypeKind: not TypeKind.Error } && output is { TypeKind: not TypeKind.Error };
        PipelineResult Fail() => new(name, ns, access, null, null, _diagnostics.ToEquatableArray(),
            typed ? input!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null,
            typed ? output!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null);

        bool isPartial = syntax.Modifiers.Any(SyntaxKind.PartialKeyword);
        if (!cls.IsStatic || !isPartial || cls.ContainingType is not null || cls.IsGenericType)
        {
            string why = cls.ContainingType is not null ? " (it is nested in another type)"
                : cls.IsGenericType ? " (it is generic)"
                : $" (it is {(cls.IsStatic ? "" : "not static")}{(!cls.IsStatic && !isPartial ? " and " : "")}{(isPartial ? "" : "not partial")})";
            Report(Descriptors.NotStaticPartial, syntax.Identifier.GetLocation(), name, why);
        }
        if (input is null || output is null || input.TypeKind == TypeKind.Error || output.TypeKind == TypeKind.Error)
            return Fail();

        _naming = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Naming").Value.Value is int naming ? naming : 0;
        var inputRecord = BuildRecord(input, forOutput: false, name);
        var outputRecord = BuildRecord(output, forOutput: true, name);

        var columns = new List<ColumnModel>();
        var columnSymbols = new List<ITypeSymbol>();
        foreach (var (prop, propModel) in InputProperties(input).Zip(inputRecord.Properties, (p, m) => (p, m)))
        {
            columns.Add(new ColumnModel(prop.Name, propModel.Type, -1));
            columnSymbols.Add(prop.Type);
        }

        // Resources first: stages bind them by type wherever they are declared.
        var resources = new List<ResourceModel>();
        var resourceSymbols = new List<ITypeSymbol>();
        var members = cls.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).ToList();
        foreach (var method in members)
        {
            if (!HasAttribute(method, "Sluice.ResourceAttribute")) continue;
            if (!method.IsStatic || method.IsGenericMethod)
            {
                Report(Descriptors.NotStaticOrGeneric, method.Locations.FirstOrDefault(), method.Name, method.IsStatic ? "generic" : "not static");
                continue;
            }
            bool takesContext = method.Parameters.Length == 1 && Is(method.Parameters[0].Type, _context);
            if (method.ReturnsVoid || !(method.Parameters.Length == 0 || takesContext))
            {
                Report(Descriptors.BadResource, method.Locations.FirstOrDefault(), method.Name,
                    method.ReturnsVoid ? "it returns void" : "it takes parameters other than one PipelineContext");
                continue;
            }
            int existing = resourceSymbols.FindIndex(t => SymbolEqualityComparer.Default.Equals(t, method.ReturnType));
            if (existing >= 0)
            {
                Report(Descriptors.DuplicateResource, method.Locations.FirstOrDefault(), resources[existing].Method, method.Name, Short(method.ReturnType));
                continue;
            }
            resources.Add(new ResourceModel(method.Name, Type(method.ReturnType), takesContext, Implements(method.ReturnType, _asyncDisposable)));
            resourceSymbols.Add(method.ReturnType);
        }

        var stages = new List<StageModel>();
        foreach (var method in members)
        {
            ct.ThrowIfCancellationRequested();
            var kinds = new[] { "Sluice.StageAttribute", "Sluice.FilterAttribute", "Sluice.ExplodeAttribute", "Sluice.ResourceAttribute" }
                .Select(a => (a, data: method.GetAttributes().FirstOrDefault(x => x.AttributeClass?.ToDisplayString() == a)))
                .Where(x => x.data is not null).ToList();
            if (kinds.Count == 0 || kinds.All(k => k.a == "Sluice.ResourceAttribute")) continue;
            var location = method.Locations.FirstOrDefault();
            if (kinds.Count > 1)
            {
                Report(Descriptors.BadSignature, location, method.Name, "a method can carry only one of [Stage], [Filter], [Explode] and [Resource]");
                continue;
            }
            if (!method.IsStatic || method.IsGenericMethod)
            {
                Report(Descriptors.NotStaticOrGeneric, location, method.Name, method.IsStatic ? "generic" : "not static");
                continue;
            }
            var stage = BindStage(method, kinds[0].a, kinds[0].data!, stages.Count, columns, columnSymbols, resourceSymbols);
            if (stage is not null)
            {
                stages.Add(stage);
                _stageNames.Add(stage.Method);
            }
        }

        // Every output property must come from a column of a compatible type.
        var outputColumns = new List<int>();
        var outputProps = OutputProperties(output);
        foreach (var prop in outputProps)
        {
            // The last column of the name: a stage that replaced a column in place wins.
            int c = columns.FindLastIndex(x => string.Equals(x.Name, prop.Name, StringComparison.OrdinalIgnoreCase));
            if (c < 0)
            {
                Report(Descriptors.OutputNotProduced, prop.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation(),
                    name, prop.Name, Short(output), Available(columns));
                outputColumns.Add(-1);
                continue;
            }
            if (!Converts(columnSymbols[c], prop.Type))
                Report(Descriptors.OutputTypeMismatch, prop.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation(),
                    name, prop.Name, Short(prop.Type), Short(columnSymbols[c]));
            else if (MayBeNull(columnSymbols[c]) && IsNonNullableReference(prop.Type))
                Report(Descriptors.NullableIntoNonNullable, prop.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation(),
                    $"Pipeline '{name}'", $"output property '{prop.Name}'", Short(prop.Type), columns[c].Name, Short(columnSymbols[c]));
            outputColumns.Add(c);
        }
        if (!outputRecord.CanConstruct)
            Report(Descriptors.RecordNotConstructible, syntax.Identifier.GetLocation(), name, Short(output),
                $"{outputRecord.ConstructionProblem}; give it a public constructor whose parameters are named after its properties, or public settable properties");
        ReportCodec(input, inputRecord, syntax);
        if (!SymbolEqualityComparer.Default.Equals(input, output)) ReportCodec(output, outputRecord, syntax);

        // An input property that no stage and no output reads is an optional column: a file may leave it out.
        var read = new HashSet<int>(stages.SelectMany(st => st.Parameters.Where(p => p.Kind == ParamKind.Column).Select(p => p.Index)));
        foreach (var c in outputColumns) if (c >= 0) read.Add(c);
        if (!SymbolEqualityComparer.Default.Equals(input, output))
            inputRecord = inputRecord with
            {
                Properties = inputRecord.Properties.Select((p, k) => read.Contains(k) ? p : p with { Required = false, Read = false }).ToEquatableArray(),
            };
        var model = new PipelineModel(ns, name, access, inputRecord, outputRecord, columns.ToEquatableArray(),
            stages.ToEquatableArray(), resources.ToEquatableArray(), outputColumns.ToEquatableArray());
        if (_diagnostics.Any(d => d.Id.StartsWith("SLU0", StringComparison.Ordinal))) return Fail();

        var plan = Planner.Build(model, _diagnostics);
        if (_diagnostics.Any(d => d.Id.StartsWith("SLU0", StringComparison.Ordinal))) return Fail();
        return new PipelineResult(name, ns, access, model, plan, _diagnostics.ToEquatableArray());
    }

    private void ReportCodec(INamedTypeSymbol type, RecordModel record, ClassDeclarationSyntax syntax)
    {
        var bad = record.Properties.FirstOrDefault(p => p.Type.Codec == CodecKind.None);
        if (bad is not null)
            Report(Descriptors.NoCodec, syntax.Identifier.GetLocation(), Short(type), bad.Name, bad.Type.Display);
    }

    private StageModel? BindStage(IMethodSymbol method, string attributeName, AttributeData data, int index,
        List<ColumnModel> columns, List<ITypeSymbol> columnSymbols, List<ITypeSymbol> resourceSymbols)
    {
        var location = method.Locations.FirstOrDefault();
        int onError = Named(data, "OnError", 0);
        int maxConcurrency = Named(data, "MaxConcurrency", 0);
        int batchSize = Named(data, "BatchSize", 0);
        int device = Named(data, "Device", 0);
        var parameters = method.Parameters;
        StageKind kind;
        ITypeSymbol? valueType = null;
        bool returnsTask = false, explodeEnumerable = false;

        bool hasSpanOut = parameters.Any(p => IsGeneric(p.Type, _span));
        switch (attributeName)
        {
            case "Sluice.FilterAttribute":
                kind = StageKind.Filter;
                if (method.ReturnType.SpecialType != SpecialType.System_Boolean)
                    return BadSignature(method, "a [Filter] returns bool");
                break;
            case "Sluice.ExplodeAttribute":
                kind = StageKind.Explode;
                if (method.ReturnsVoid && parameters.Length > 0 && IsGeneric(parameters[parameters.Length - 1].Type, _emitter))
                    valueType = ((INamedTypeSymbol)parameters[parameters.Length - 1].Type).TypeArguments[0];
                else if (IsGeneric(method.ReturnType, _enumerable))
                {
                    valueType = ((INamedTypeSymbol)method.ReturnType).TypeArguments[0];
                    explodeEnumerable = true;
                }
                else
                    return BadSignature(method, "an [Explode] is 'void F(columns..., RowEmitter<T> emit)' or 'IEnumerable<T> F(columns...)'");
                break;
            default:
                if (hasSpanOut)
                {
                    kind = StageKind.Batch;
                    if (!method.ReturnsVoid)
                        return BadSignature(method, "a batch stage returns void and writes its columns into Span<T> parameters");
                }
                else if (IsGeneric(method.ReturnType, _task) || IsGeneric(method.ReturnType, _valueTask))
                {
                    kind = StageKind.Async;
                    returnsTask = IsGeneric(method.ReturnType, _task);
                    valueType = ((INamedTypeSymbol)method.ReturnType).TypeArguments[0];
                }
                else if (method.ReturnsVoid || method.ReturnType.Name is "Task" or "ValueTask")
                    return BadSignature(method, "a [Stage] returns its column's value (T, Task<T> or ValueTask<T>), or is a batch stage writing Span<T> parameters");
                else
                {
                    kind = StageKind.Map;
                    valueType = method.ReturnType;
                }
                break;
        }

        bool setConcurrency = data.NamedArguments.Any(a => a.Key == "MaxConcurrency");
        bool setBatch = data.NamedArguments.Any(a => a.Key == "BatchSize");
        if (maxConcurrency < 0 || (setConcurrency && maxConcurrency == 0))
            return BadOption(method, $"MaxConcurrency must be at least 1 (was {maxConcurrency}); leave it out for the default of 16");
        if (setConcurrency && kind != StageKind.Async)
            return BadOption(method, "MaxConcurrency applies to async stages (returning Task<T> or ValueTask<T>) only");
        if (batchSize < 0 || (setBatch && batchSize == 0))
            return BadOption(method, $"BatchSize must be at least 1 (was {batchSize}); leave it out for the default of 64");
        if (setBatch && kind != StageKind.Batch)
            return BadOption(method, "BatchSize applies to batch stages (with Span<T> output parameters) only");
        if (kind == StageKind.Async && !parameters.Any(p => Is(p.Type, _cancellationToken)))
            Report(Descriptors.AsyncWithoutCancellation, location, method.Name);
        if (device != 0 && kind != StageKind.Batch)
            return BadOption(method, "Device applies to batch stages only");
        string columnName = method.Name;
        if (data.NamedArguments.FirstOrDefault(a => a.Key == "Column").Value.Value is string named)
        {
            if (kind == StageKind.Batch)
                return BadOption(method, "Column applies to stages that return one value; a batch stage's columns are named by its Span<T> parameters");
            if (named.Length == 0 || !(char.IsLetter(named[0]) || named[0] == '_') || !named.All(ch => char.IsLetterOrDigit(ch) || ch == '_'))
                return BadOption(method, $"Column must be a C# identifier, like a property of the output record (was \"{named}\")");
            columnName = named;
        }
        if (kind == StageKind.Async && maxConcurrency == 0) maxConcurrency = 16;
        if (kind == StageKind.Batch && batchSize == 0) batchSize = 64;

        // Bind parameters against the columns available before this stage.
        int available = columns.Count;
        var bound = new List<ParamModel>();
        var writes = new List<(string name, ITypeSymbol type, Location? loc)>();
        bool ok = true;
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var type = p.Type;
            if (Is(type, _cancellationToken)) { bound.Add(new ParamModel(ParamKind.CancellationToken, -1, p.Name)); continue; }
            if (Is(type, _context)) { bound.Add(new ParamModel(ParamKind.Context, -1, p.Name)); continue; }
            if (kind == StageKind.Explode && !explodeEnumerable && i == parameters.Length - 1)
            {
                bound.Add(new ParamModel(ParamKind.Emitter, -1, p.Name));
                continue;
            }
            if (kind == StageKind.Batch && IsGeneric(type, _span))
            {
                if (p.RefKind != RefKind.None) { ok = false; BadSignature(method, $"parameter '{p.Name}' must not be ref/in/out"); continue; }
                writes.Add((p.Name, ((INamedTypeSymbol)type).TypeArguments[0], p.Locations.FirstOrDefault()));
                bound.Add(new ParamModel(ParamKind.OutputSpan, writes.Count - 1, p.Name));
                continue;
            }
            if (p.RefKind is RefKind.Ref or RefKind.Out)
            {
                ok = false;
                BadSignature(method, $"parameter '{p.Name}' must not be ref or out");
                continue;
            }
            var columnType = type;
            if (kind == StageKind.Batch)
            {
                if (!IsGeneric(type, _readOnlySpan))
                {
                    int r0 = resourceSymbols.FindIndex(t => SymbolEqualityComparer.Default.Equals(t, type));
                    if (r0 >= 0) { bound.Add(new ParamModel(ParamKind.Resource, r0, p.Name)); continue; }
                    ok = false;
                    BadSignature(method, $"a batch stage reads columns as ReadOnlySpan<T>, but parameter '{p.Name}' is {Short(type)}");
                    continue;
                }
                columnType = ((INamedTypeSymbol)type).TypeArguments[0];
            }
            int c = -1; // the latest column of the name: after a stage replaced it in place, the new value
            for (int k = available - 1; k >= 0; k--)
                if (string.Equals(columns[k].Name, p.Name, StringComparison.OrdinalIgnoreCase)) { c = k; break; }
            if (c >= 0)
            {
                bool fits = kind == StageKind.Batch
                    ? SymbolEqualityComparer.Default.Equals(columnSymbols[c].WithNullableAnnotation(NullableAnnotation.None), columnType.WithNullableAnnotation(NullableAnnotation.None))
                    : Converts(columnSymbols[c], columnType);
                if (!fits)
                {
                    ok = false;
                    Report(Descriptors.TypeMismatch, p.Locations.FirstOrDefault(), method.Name, p.Name, Short(type), columns[c].Name,
                        kind == StageKind.Batch ? $"{Short(columnSymbols[c])} (a batch stage needs ReadOnlySpan<{Short(columnSymbols[c])}>)" : Short(columnSymbols[c]));
                    continue;
                }
                if (MayBeNull(columnSymbols[c]) && IsNonNullableReference(columnType))
                    Report(Descriptors.NullableIntoNonNullable, p.Locations.FirstOrDefault(), $"Stage '{method.Name}'", $"parameter '{p.Name}'",
                        Short(columnType), columns[c].Name, Short(columnSymbols[c]));
                bound.Add(new ParamModel(ParamKind.Column, c, p.Name));
                continue;
            }
            int r = resourceSymbols.FindIndex(t => SymbolEqualityComparer.Default.Equals(t, type));
            if (r >= 0) { bound.Add(new ParamModel(ParamKind.Resource, r, p.Name)); continue; }
            ok = false;
            if (LooksLikeColumn(type, columnSymbols))
                Report(Descriptors.UnknownColumn, p.Locations.FirstOrDefault(), method.Name, p.Name, Available(columns.Take(available)),
                    Hint(p.Name, method, columns.Take(available)));
            else
                Report(Descriptors.UnresolvedResource, p.Locations.FirstOrDefault(), method.Name, p.Name, Short(type), Pascal(p.Name));
        }
        if (valueType is not null) writes.Insert(0, (columnName, valueType, location));
        if (!ok)
        {
            // The stage is broken, but its columns exist: later stages and the output that read them must not
            // report them missing too (one mistake, one diagnostic).
            foreach (var (colName, type, _) in writes)
            {
                if (columns.Any(x => string.Equals(x.Name, colName, StringComparison.OrdinalIgnoreCase))) continue;
                _brokenProducers[columns.Count] = method.Name;
                columns.Add(new ColumnModel(colName, Type(type), -2));
                columnSymbols.Add(type);
            }
            return null;
        }
        if (kind == StageKind.Batch && writes.Count == 0)
            return BadSignature(method, "a batch stage needs at least one Span<T> output parameter");

        var writeIndices = new List<int>();
        foreach (var (colName, type, loc) in writes)
        {
            int existing = columns.FindLastIndex(x => string.Equals(x.Name, colName, StringComparison.OrdinalIgnoreCase));
            string? id = null;
            if (existing >= 0)
            {
                // Replacing a column in place: the stage that writes the column reads it (Title(string title), or
                // [Stage(Column = "Image")] Image Shrink(Image image)). Later stages and the output see the new
                // value; the old one ends with this stage.
                bool replaces = kind is StageKind.Map or StageKind.Async or StageKind.Explode
                                && bound.Any(b => b.Kind == ParamKind.Column && b.Index == existing);
                if (!replaces)
                {
                    string producer = columns[existing].Producer < 0 ? "the input record" : $"stage '{ProducerName(columns, existing)}'";
                    string hint = kind is StageKind.Map or StageKind.Async or StageKind.Explode
                        ? $", or replace it in place by reading it: {method.Name}({Short(columnSymbols[existing])} {char.ToLowerInvariant(colName[0]) + colName.Substring(1)}, ...)"
                        : "";
                    Report(Descriptors.ColumnWrittenTwice, loc, method.Name, colName, producer, hint);
                    return null;
                }
                id = $"{colName}__{columns.Count}";
            }
            columns.Add(new ColumnModel(colName, Type(type), index, id));
            columnSymbols.Add(type);
            writeIndices.Add(columns.Count - 1);
        }

        return new StageModel(method.Name, kind, onError, maxConcurrency, batchSize, device, bound.ToEquatableArray(),
            writeIndices.ToEquatableArray(), returnsTask, explodeEnumerable, LocationInfo.From(location));
    }

    private readonly List<string> _stageNames = new();
    private readonly Dictionary<int, string> _brokenProducers = new(); // columns of stages that failed to bind

    private string ProducerName(List<ColumnModel> columns, int column) =>
        columns[column].Producer == -2 ? _brokenProducers[column] : _stageNames[columns[column].Producer];

    /// <summary>
    /// SLU0002's hint: the stage that makes the column but comes later (stages run in declaration order), or the
    /// available column whose name is closest (a typo), or nothing.
    /// </summary>
    private string Hint(string parameter, IMethodSymbol method, IEnumerable<ColumnModel> available)
    {
        var later = method.ContainingType.GetMembers().OfType<IMethodSymbol>()
            .Select(m => (Method: m, Column: WrittenColumn(m)))
            .FirstOrDefault(m => m.Column is not null && !SymbolEqualityComparer.Default.Equals(m.Method, method)
                                 && string.Equals(m.Column, parameter, StringComparison.OrdinalIgnoreCase));
        if (later.Method is not null)
            return $"; column '{later.Column}' is made by stage '{later.Method.Name}', which is declared after '{method.Name}': stages run in declaration order, so move it before";
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in available)
        {
            int d = Distance(parameter.ToLowerInvariant(), c.Name.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = c.Name; }
        }
        return best is not null && bestDistance <= Math.Max(1, parameter.Length / 3) ? $"; did you mean '{char.ToLowerInvariant(best[0]) + best.Substring(1)}'?" : "";
    }

    /// <summary>The column a [Stage] or [Explode] method writes: its Column option or its name; null for other methods.</summary>
    private static string? WrittenColumn(IMethodSymbol m)
    {
        var data = m.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() is "Sluice.StageAttribute" or "Sluice.ExplodeAttribute");
        if (data is null) return null;
        return data.NamedArguments.FirstOrDefault(a => a.Key == "Column").Value.Value as string ?? m.Name;
    }

    // Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    private StageModel? BadSignature(IMethodSymbol method, string why)
    {
        Report(Descriptors.BadSignature, method.Locations.FirstOrDefault(), method.Name, why);
        return null;
    }

    private StageModel? BadOption(IMethodSymbol method, string why)
    {
        Report(Descriptors.BadOption, method.Locations.FirstOrDefault(), method.Name, why);
        return null;
    }

    // Nullable reference types, where the code has them on: a 'string?' column may hold null, a 'string' parameter may not.
    private static bool MayBeNull(ITypeSymbol type) => type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated;

    private static bool IsNonNullableReference(ITypeSymbol type) => type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.NotAnnotated;

    // A parameter whose type is data-like (or the type of some column) was meant as a column.
    private static bool LooksLikeColumn(ITypeSymbol type, List<ITypeSymbol> columnTypes) =>
        type.SpecialType != SpecialType.None || type.TypeKind is TypeKind.Enum or TypeKind.Array
        || type.IsValueType || columnTypes.Any(t => SymbolEqualityComparer.Default.Equals(t, type));

    private bool Converts(ITypeSymbol from, ITypeSymbol to)
    {
        if (SymbolEqualityComparer.Default.Equals(from.WithNullableAnnotation(NullableAnnotation.None), to.WithNullableAnnotation(NullableAnnotation.None)))
            return true;
        var conversion = _compilation.ClassifyConversion(from, to);
        return conversion.IsIdentity || (conversion.IsImplicit && (conversion.IsReference || conversion.IsNullable) && !conversion.IsBoxing);
    }

    private static string Available(IEnumerable<ColumnModel> columns)
    {
        var list = columns.ToList();
        var names = list.Where((c, i) => !list.Skip(i + 1).Any(later => string.Equals(later.Name, c.Name, StringComparison.OrdinalIgnoreCase))) // a replaced column once
            .Select(c => $"{c.Name} ({c.Type.Display})").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    private static int Named(AttributeData data, string name, int fallback)
    {
        foreach (var kv in data.NamedArguments)
            if (kv.Key == name && kv.Value.Value is int v) return v;
        return fallback;
    }

    private static bool HasAttribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

    private static bool Is(ITypeSymbol type, INamedTypeSymbol? target) =>
        target is not null && SymbolEqualityComparer.Default.Equals(type.WithNullableAnnotation(NullableAnnotation.None), target);

    private static bool IsGeneric(ITypeSymbol type, INamedTypeSymbol? definition) =>
        definition is not null && type is INamedTypeSymbol { IsGenericType: true } n
        && SymbolEqualityComparer.Default.Equals(n.OriginalDefinition, definition);

    private static bool Implements(ITypeSymbol type, INamedTypeSymbol? iface) =>
        iface is not null && (SymbolEqualityComparer.Default.Equals(type, iface)
                              || type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, iface)));

    private static bool IsPublic(ITypeSymbol? type)
    {
        for (var t = type; t is not null; t = t.ContainingType)
            if (t.DeclaredAccessibility != Accessibility.Public) return false;
        return type is not null;
    }

    private static string Short(ITypeSymbol type) => type.ToDisplayString(s_shortName);

    private TypeRef Type(ITypeSymbol type)
    {
        var codec = CodecOf(type, out var element);
        return new TypeRef(type.ToDisplayString(s_fullName), Short(type), type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), type.IsReferenceType,
            Implements(type, _disposable), codec, element?.ToDisplayString(s_fullName));
    }

    private static bool IsScalar(ITypeSymbol type) =>
        type.SpecialType is SpecialType.System_String or SpecialType.System_Boolean or SpecialType.System_Byte
            or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64
            or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_Single
            or SpecialType.System_Double or SpecialType.System_Decimal or SpecialType.System_DateTime
        || type.ToDisplayString() is "System.Guid" or "System.DateTimeOffset" or "Sluice.Blob";

    private static CodecKind CodecOf(ITypeSymbol type, out ITypeSymbol? element)
    {
        element = null;
        var plain = type.WithNullableAnnotation(NullableAnnotation.None);
        if (IsScalar(plain)) { element = plain; return CodecKind.Scalar; }
        if (plain is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            && IsScalar(nullable.TypeArguments[0]))
        {
            element = nullable.TypeArguments[0];
            return CodecKind.Scalar;
        }
        if (plain.TypeKind == TypeKind.Enum) { element = plain; return CodecKind.Enum; }
        if (plain is IArrayTypeSymbol { Rank: 1 } array && IsScalar(array.ElementType.WithNullableAnnotation(NullableAnnotation.None)))
        {
            element = array.ElementType;
            return CodecKind.Array;
        }
        return CodecKind.None;
    }

    private static IEnumerable<IPropertySymbol> AllProperties(INamedTypeSymbol type)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
            chain.Insert(0, t);
        var seen = new HashSet<string>();
        foreach (var t in chain)
            foreach (var p in t.GetMembers().OfType<IPropertySymbol>())
                if (!p.IsStatic && !p.IsIndexer && p.DeclaredAccessibility == Accessibility.Public
                    && p.GetMethod is { DeclaredAccessibility: Accessibility.Public } && seen.Add(p.Name))
                    yield return p;
    }

    private static IEnumerable<IPropertySymbol> InputProperties(INamedTypeSymbol type) => AllProperties(type);

    // Output columns: properties a constructor parameter or a setter fills (computed get-only ones are not columns).
    private static List<IPropertySymbol> OutputProperties(INamedTypeSymbol type)
    {
        var ctor = ChooseConstructor(type, AllProperties(type).ToList());
        var ctorNames = new HashSet<string>(ctor?.Parameters.Select(p => p.Name) ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
        return AllProperties(type).Where(p => ctorNames.Contains(p.Name) || IsSettable(p)).ToList();
    }

    private static bool IsSettable(IPropertySymbol p) => p.SetMethod is { DeclaredAccessibility: Accessibility.Public };

    private int _naming; // ColumnNaming of the [Pipeline]

    /// <summary>A property's column name in files: [Column], then [JsonPropertyName] (on the property or its constructor parameter), then the naming policy.</summary>
    private static string FileName(IPropertySymbol property, IMethodSymbol? ctor, int naming)
    {
        var parameter = ctor?.Parameters.FirstOrDefault(x => string.Equals(x.Name, property.Name, StringComparison.OrdinalIgnoreCase));
        foreach (var attributes in new[] { property.GetAttributes(), parameter?.GetAttributes() ?? ImmutableArray<AttributeData>.Empty })
            foreach (var a in attributes)
                if (a.AttributeClass?.ToDisplayString() is "Sluice.ColumnAttribute" or "System.Text.Json.Serialization.JsonPropertyNameAttribute"
                    && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string { Length: > 0 } name)
                    return name;
        string n = property.Name;
        return naming switch
        {
            1 => Separated(n, '_'),
            2 => Separated(n, '-'),
            3 => n,
            _ => n.Length == 0 ? n : char.ToLowerInvariant(n[0]) + n.Substring(1),
        };
    }

    /// <summary>
    /// A property's [FixedSize(n)] (on the property or its constructor parameter): n, or 0 when it has none. SLU0015 for a
    /// property that is no array of numbers, or n below 1.
    /// </summary>
    private readonly HashSet<string> _fixedSizeReported = new();

    private int FixedSize(INamedTypeSymbol record, IPropertySymbol property, IMethodSymbol? ctor)
    {
        var parameter = ctor?.Parameters.FirstOrDefault(x => string.Equals(x.Name, property.Name, StringComparison.OrdinalIgnoreCase));
        foreach (var attributes in new[] { property.GetAttributes(), parameter?.GetAttributes() ?? ImmutableArray<AttributeData>.Empty })
            foreach (var a in attributes)
            {
                if (a.AttributeClass?.ToDisplayString() != "Sluice.FixedSizeAttribute" || a.ConstructorArguments.Length != 1) continue;
                int size = a.ConstructorArguments[0].Value is int n ? n : 0;
                var location = a.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? property.Locations.FirstOrDefault();
                bool numbers = property.Type is IArrayTypeSymbol { Rank: 1 } array
                               && array.ElementType.SpecialType is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int32
                                   or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte or SpecialType.System_SByte
                                   or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_Boolean;
                if (!numbers)
                    Report(Descriptors.BadFixedSize, location, Short(record), property.Name, size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                           $"applies to arrays of numbers or bools (float[], int[], ...), not {Short(property.Type)}");
                else if (size < 1)
                    Report(Descriptors.BadFixedSize, location, Short(record), property.Name, size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                           "needs a size of at least 1");
                else return size;
                if (!_fixedSizeReported.Add(record.ToDisplayString() + "." + property.Name)) _diagnostics.RemoveAt(_diagnostics.Count - 1); // once, when input and output are one type
                return 0;
            }
        return 0;
    }

    // ImagePath -> image_path, URLPath -> url_path, Top5Scores -> top5_scores.
    private static string Separated(string name, char separator)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                                          || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary) sb.Append(separator);
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }

    // Why no constructor can be used: the parameters of the widest public one that match no property (by name and type).
    private static string ConstructionProblem(INamedTypeSymbol type, List<IPropertySymbol> properties)
    {
        var widest = type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public && !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, type)))
            .OrderByDescending(c => c.Parameters.Length).FirstOrDefault();
        if (widest is null) return $"{Short(type)} has no public constructor";
        var unmatched = widest.Parameters.Where(p => !properties.Any(x => string.Equals(x.Name, p.Name, StringComparison.OrdinalIgnoreCase)
            && SymbolEqualityComparer.Default.Equals(x.Type.WithNullableAnnotation(NullableAnnotation.None), p.Type.WithNullableAnnotation(NullableAnnotation.None))))
            .Select(p => $"'{p.Name}' ({Short(p.Type)})").ToList();
        return $"constructor parameter {string.Join(", ", unmatched)} names no property of {Short(type)} of its type (properties: {string.Join(", ", properties.Select(x => x.Name))})";
    }

    private static IMethodSymbol? ChooseConstructor(INamedTypeSymbol type, List<IPropertySymbol> properties)
    {
        IMethodSymbol? best = null;
        foreach (var ctor in type.InstanceConstructors)
        {
            if (ctor.DeclaredAccessibility != Accessibility.Public) continue;
            if (ctor.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(ctor.Parameters[0].Type, type)) continue; // record copy constructor
            bool all = ctor.Parameters.All(p => properties.Any(x => string.Equals(x.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                && SymbolEqualityComparer.Default.Equals(x.Type.WithNullableAnnotation(NullableAnnotation.None), p.Type.WithNullableAnnotation(NullableAnnotation.None))));
            if (all && (best is null || ctor.Parameters.Length > best.Parameters.Length)) best = ctor;
        }
        return best;
    }

    private RecordModel BuildRecord(INamedTypeSymbol type, bool forOutput, string pipeline)
    {
        var all = AllProperties(type).ToList();
        var ctor = ChooseConstructor(type, all);
        var props = forOutput ? OutputProperties(type) : all;
        var models = props.Select(p => new PropertyModel(p.Name, Type(p.Type),
            Required: p.Type.IsValueType ? p.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T : p.NullableAnnotation != NullableAnnotation.Annotated,
            Settable: IsSettable(p), FileName: FileName(p, ctor, _naming), FixedSize: FixedSize(type, p, ctor))).ToList();
        var ctorArgs = new List<int>();
        bool canConstruct = ctor is not null || type.IsValueType;
        string? problem = canConstruct ? null : ConstructionProblem(type, all);
        if (ctor is not null)
            foreach (var p in ctor.Parameters)
                ctorArgs.Add(props.FindIndex(x => string.Equals(x.Name, p.Name, StringComparison.OrdinalIgnoreCase)));
        if (ctorArgs.Any(i => i < 0))
        {
            canConstruct = false;
            var unmatched = ctor!.Parameters.Where((p, k) => ctorArgs[k] < 0).Select(p => $"'{p.Name}'");
            problem = $"constructor parameter {string.Join(", ", unmatched)} names no property of {Short(type)} of its type (properties: {string.Join(", ", props.Select(x => x.Name))})";
        }
        bool codec = canConstruct && models.All(m => m.Type.Codec != CodecKind.None);
        return new RecordModel(Type(type), models.ToEquatableArray(), ctorArgs.ToEquatableArray(), canConstruct, codec, problem);
    }
}
