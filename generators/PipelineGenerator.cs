using System.Linq;
using Microsoft.CodeAnalysis;
using Sluice.Generators.Checks;
using Sluice.Generators.Emit;
using Sluice.Generators.Model;

namespace Sluice.Generators;

/// <summary>
/// Finds every [Pipeline] class, checks its schema, and emits its fused operators. Source and
/// diagnostics are two outputs of one cached transform, so an edit that changes only a message does
/// not re-emit source, and an unrelated edit re-emits nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PipelineGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the parse step (tests assert it stays cached).</summary>
    public const string ParseStep = "SluiceParse";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var results = context.SyntaxProvider.ForAttributeWithMetadataName(
                "Sluice.PipelineAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        // Diagnostics are reported at locations in the compilation's own syntax trees, so that #pragma warning
        // disable and [SuppressMessage] apply to them as to the compiler's (a bare file location escapes both).
        context.RegisterSourceOutput(results.Select(static (r, _) => r.Diagnostics).Combine(context.CompilationProvider), static (spc, pair) =>
        {
            var (diagnostics, compilation) = pair;
            foreach (var d in diagnostics)
            {
                var location = d.Location is { } l && compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == l.FilePath) is { } tree
                    ? Location.Create(tree, l.Span)
                    : d.Location?.ToLocation();
                spc.ReportDiagnostic(Diagnostic.Create(Descriptors.ById(d.Id), location, d.Arguments.Cast<object>().ToArray()));
            }
        });

        var sources = results.Select(static (r, _) => new SourceSpec(r.ClassName, r.Namespace, r.Accessibility, r.Model, r.Plan, r.InputTypeName, r.OutputTypeName));
        context.RegisterSourceOutput(sources, static (spc, spec) =>
        {
            string hint = (spec.Namespace is null ? "" : spec.Namespace + ".") + spec.ClassName + ".Sluice.g.cs";
            string text = spec.Model is not null && spec.Plan is not null
                ? Emitter.Emit(spec.Model, spec.Plan)
                : Emitter.EmitBroken(new PipelineResult(spec.ClassName, spec.Namespace, spec.Accessibility, null, null, EquatableArray<DiagnosticInfo>.Empty,
                                                        spec.InputTypeName, spec.OutputTypeName));
            spc.AddSource(hint, text);
        });
    }

    // The source half of a result: diagnostics (and their locations) are left out so they do not invalidate it.
    private sealed record SourceSpec(string ClassName, string? Namespace, string Accessibility, PipelineModel? Model, Plan? Plan,
                                     string? InputTypeName, string? OutputTypeName);
}
