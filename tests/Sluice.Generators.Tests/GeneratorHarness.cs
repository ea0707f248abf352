using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Sluice.Generators;

namespace Sluice.Generators.Tests;

/// <summary>Compiles real C# against the real runtime with the real generator.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                                  || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                      .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(Sluice.PipelineAttribute).Assembly.Location));
        refs.Add(MetadataReference.CreateFromFile(typeof(Sluice.Morsel).Assembly.Location));
        return refs.ToArray();
    });

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("UserPipelines",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Pipeline{i}.cs")),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(bool track = false) =>
        CSharpGeneratorDriver.Create(new[] { new PipelineGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    /// <summary>Runs the generator; returns its diagnostics and the diagnostics of the compiled result.</summary>
    public static (ImmutableArray<Diagnostic> generator, ImmutableArray<Diagnostic> compilation, GeneratorDriverRunResult run) Run(params string[] sources)
    {
        var compilation = Compilation(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var compiled = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
        return (generatorDiagnostics, compiled, driver.GetRunResult());
    }
}
