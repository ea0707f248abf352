using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Sluice.Generators.Tests;

public class GeneratorBehaviourTests
{
    private const string Pipeline = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Sluice;
        namespace Demo;
        public sealed record In(string Url, int Size);
        public sealed record Out(string Url, int Length, long Score, int[] Top);
        public sealed class Http : IDisposable { public void Dispose() { } }
        [Pipeline(typeof(In), typeof(Out))]
        public static partial class P
        {
            [Resource] static Http Client(PipelineContext ctx) => new();
            [Stage(MaxConcurrency = 8)] static async Task<Blob> Bytes(string url, Http http, CancellationToken ct) { await Task.Yield(); return Blob.CopyOf(new byte[] { 1, 2 }); }
            [Stage] static int Length(Blob bytes) => bytes.Length;
            [Filter] static bool Big(int length) => length > 0;
            [Explode] static System.Collections.Generic.IEnumerable<int> Copy(int size) { yield return size; }
            [Stage(BatchSize = 4, Device = Device.Gpu)] static void Model(ReadOnlySpan<int> copy, Span<long> score, Span<int[]> top) { }
        }
        """;

    [Fact]
    public void Generated_code_compiles_without_errors_or_warnings()
    {
        var (generator, compiled, run) = GeneratorHarness.Run(Pipeline);
        Assert.Empty(generator);
        Assert.Empty(compiled);
        var source = Assert.Single(run.GeneratedTrees).ToString();
        Assert.Contains("class __Segment0 : global::Sluice.AsyncSegment<global::Sluice.Blob>", source);
        Assert.Contains("class __Segment1 : global::Sluice.CpuSegment", source);
        Assert.Contains("class __Segment2 : global::Sluice.BatchSegment", source);
    }

    [Fact]
    public void Records_with_optional_and_array_columns_get_codecs_that_compile_without_warnings()
    {
        var (generator, compiled, run) = GeneratorHarness.Run("""
            using Sluice;
            public sealed record In(string Url, string? Label, int? Size);
            public sealed record Out(string Url, string? Label, int[] Top, float[] Scores);
            [Pipeline(typeof(In), typeof(Out))]
            public static partial class P
            {
                [Stage] static int[] Top(string url) => new[] { url.Length };
                [Stage] static float[] Scores(int? size) => new[] { (float)(size ?? 0) };
            }
            """);
        Assert.Empty(generator);
        Assert.Empty(compiled);
        Assert.Contains("class __InputCodec", run.GeneratedTrees[0].ToString());
    }

    [Fact]
    public void The_fused_loop_has_no_delegates_closures_linq_or_allocations()
    {
        var (_, _, run) = GeneratorHarness.Run(Pipeline);
        var source = run.GeneratedTrees[0].ToString();
        int start = source.IndexOf("class __Segment1", StringComparison.Ordinal);
        int end = source.IndexOf("class __Resources2", start, StringComparison.Ordinal);
        var loop = source[start..end];
        var body = loop[loop.IndexOf("Run<TProfile>", StringComparison.Ordinal)..];
        int thunks = body.IndexOf("[global::System.Runtime.CompilerServices.MethodImpl", StringComparison.Ordinal);
        Assert.True(thunks > 0, "the per-stage form calls its map and filter stages through thunks");
        Assert.DoesNotContain("=>", body[..thunks]);
        Assert.DoesNotContain("System.Linq", source);
        Assert.DoesNotContain("new ", body[body.IndexOf("for (int __i", StringComparison.Ordinal)..thunks]);
        Assert.DoesNotContain("(object)", loop);
        // Each thunk is one direct static call of the stage, nothing else.
        var lines = body[thunks..].Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("private static", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);   // Length (map) and Big (filter); the explode is called directly
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^private static int __Stage0\(global::Sluice\.Blob a0\) => global::Demo\.P\.Length\(a0\);$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^private static bool __Stage1\(int a0\) => global::Demo\.P\.Big\(a0\);$"));
    }

    [Fact]
    public void A_payload_is_disposed_right_after_its_last_reader_and_when_its_row_is_dropped()
    {
        var (_, _, run) = GeneratorHarness.Run(Pipeline);
        var source = run.GeneratedTrees[0].ToString();
        int start = source.IndexOf("class __Segment1", StringComparison.Ordinal);
        var loop = source[start..source.IndexOf("class __Resources2", start, StringComparison.Ordinal)];
        // Length is Bytes' last reader: disposed right after it, and on its failure path.
        int call = loop.IndexOf("__Stage0(", StringComparison.Ordinal);   // Length, through its thunk
        int dispose = loop.IndexOf("v_Bytes?.Dispose();", call, StringComparison.Ordinal);
        Assert.True(dispose > call);
        int failure = loop.IndexOf("__w.RowFailed(0", StringComparison.Ordinal);
        Assert.True(loop.IndexOf("v_Bytes?.Dispose();", failure, StringComparison.Ordinal) < loop.IndexOf("continue;", failure, StringComparison.Ordinal));
        // The boundary after the segment no longer carries the payload.
        int b2 = source.IndexOf("class __Boundary2", StringComparison.Ordinal);
        Assert.DoesNotContain("C_Bytes", source[b2..source.IndexOf("class __Boundary3", StringComparison.Ordinal)]);
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_pipeline_steps_cached()
    {
        var compilation = GeneratorHarness.Compilation(Pipeline, "namespace Other; public static class Unrelated { public static int X => 1; }");
        var driver = GeneratorHarness.Driver(track: true).RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Other; public static class Unrelated { public static int X => 2; public static int Y => 3; }",
                GeneratorHarness.ParseOptions, path: "Pipeline1.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var parse = result.TrackedSteps[PipelineGenerator.ParseStep];
        Assert.All(parse.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void An_edit_to_a_stage_reruns_the_pipeline()
    {
        var compilation = GeneratorHarness.Compilation(Pipeline);
        var driver = GeneratorHarness.Driver(track: true).RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Pipeline.Replace("length > 0", "length > 1"), GeneratorHarness.ParseOptions, path: "Pipeline0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        // The parse reruns (the tree changed) but yields an equal model, so the source output stays cached.
        Assert.Contains(result.TrackedSteps[PipelineGenerator.ParseStep].SelectMany(s => s.Outputs),
            o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void No_model_holds_a_symbol_a_syntax_node_or_a_compilation()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree), typeof(Location) };
        var models = typeof(PipelineGenerator).Assembly.GetTypes()
            .Where(t => t.Namespace == "Sluice.Generators.Model" && !t.IsEnum && !t.IsAbstract).ToList();
        Assert.NotEmpty(models);
        foreach (var type in models)
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                foreach (var t in Flatten(field.FieldType))
                    Assert.False(forbidden.Any(f => f.IsAssignableFrom(t)), $"{type.Name}.{field.Name} holds {t.Name}");
    }

    private static IEnumerable<Type> Flatten(Type t)
    {
        yield return t;
        if (t.IsArray) foreach (var x in Flatten(t.GetElementType()!)) yield return x;
        if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) foreach (var x in Flatten(a)) yield return x;
    }
}
