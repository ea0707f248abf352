using Microsoft.CodeAnalysis;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>Each diagnostic fires on a failing example and not on the fixed one (the same pairs as docs/diagnostics.md).</summary>
public class DiagnosticTests
{
    private const string Records = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using System.Collections.Generic;
        using Sluice;
        public sealed record In(string Url, int Size);
        public sealed record Out(string Url, int Length);
        """;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "SLU0001",
          "[Pipeline(typeof(In), typeof(Out))] public static class P { [Stage] static int Length(string url) => url.Length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0002",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string link) => link.Length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0003",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(int url) => url; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0004",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Len(string url) => url.Length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0005",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; [Stage] static int Size(int length) => length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url, int size) => url.Length + size; }" },
        { "SLU0006",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static void Length(string url) { } }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0007",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url, Http http) => url.Length; }",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Resource] static Http Client(PipelineContext ctx) => new(); [Stage] static int Length(string url, Http http) => url.Length; }" },
        { "SLU0008",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length<T>(string url) => url.Length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0009",
          "public sealed record Out2(string Url, string Length); [Pipeline(typeof(In), typeof(Out2))] public static partial class P { [Stage] static int Length(string url) => url.Length; }",
          "public sealed record Out2(string Url, string Length); [Pipeline(typeof(In), typeof(Out2))] public static partial class P { [Stage] static string Length(string url) => url.Length.ToString(); }" },
        { "SLU0010",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Resource] static Http Client(int retries) => new(); [Stage] static int Length(string url) => url.Length; }",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Resource] static Http Client(PipelineContext ctx) => new(); [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0011",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage(BatchSize = 10)] static int Length(string url) => url.Length; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0012",
          "public sealed class Payload : IDisposable { public void Dispose() { } } public sealed record Out3(string Part, int Length); [Pipeline(typeof(In), typeof(Out3))] public static partial class P { [Stage] static Payload Bytes(string url) => new(); [Explode] static void Part(string url, RowEmitter<string> emit) => emit.Emit(url); [Stage] static int Length(Payload bytes, string part) => part.Length; }",
          "public sealed class Payload : IDisposable { public void Dispose() { } } public sealed record Out3(string Part, int Length); [Pipeline(typeof(In), typeof(Out3))] public static partial class P { [Stage] static Payload Bytes(string url) => new(); [Stage] static int Size2(Payload bytes) => 1; [Explode] static void Part(string url, RowEmitter<string> emit) => emit.Emit(url); [Stage] static int Length(int size2, string part) => part.Length + size2; }" },
        { "SLU0013",
          "public sealed class Out4 { public string Url { get; } public int Length { get; } public Out4(string link) { Url = link; } } [Pipeline(typeof(In), typeof(Out4))] public static partial class P { [Stage] static int Length(string url) => url.Length; }",
          "public sealed class Out4 { public string Url { get; } public int Length { get; } public Out4(string url, int length) { Url = url; Length = length; } } [Pipeline(typeof(In), typeof(Out4))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0014",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Resource] static Http A() => new(); [Resource] static Http B() => new(); [Stage] static int Length(string url, Http http) => url.Length; }",
          "public sealed class Http { } [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Resource] static Http A() => new(); [Stage] static int Length(string url, Http http) => url.Length; }" },
        { "SLU0015",
          "public sealed record V(string Url, [FixedSize(4)] string Text); public sealed record VO(string Url, int Length); [Pipeline(typeof(V), typeof(VO))] public static partial class P { [Stage] static int Length(string url) => url.Length; }",
          "public sealed record V(string Url, [FixedSize(4)] float[] Text); public sealed record VO(string Url, int Length); [Pipeline(typeof(V), typeof(VO))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU0015",
          "public sealed record V(string Url, [FixedSize(0)] float[] Text); public sealed record VO(string Url, int Length); [Pipeline(typeof(V), typeof(VO))] public static partial class P { [Stage] static int Length(string url) => url.Length; }",
          "public sealed record V(string Url, [FixedSize(384)] float[] Text); public sealed record VO(string Url, int Length); [Pipeline(typeof(V), typeof(VO))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU1001",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; [Stage] static int Twice(int size) => size * 2; }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; }" },
        { "SLU1003",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static async Task<int> Length(string url) { await Task.Delay(1); return url.Length; } }",
          "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static async Task<int> Length(string url, CancellationToken ct) { await Task.Delay(1, ct); return url.Length; } }" },
        { "SLU1004",
          "public sealed record In6(string? Url, int Size); public sealed record Out6(string? Url, int Length); [Pipeline(typeof(In6), typeof(Out6))] public static partial class P { [Stage] static int Length(string url) => url.Length; }",
          "public sealed record In6(string? Url, int Size); public sealed record Out6(string? Url, int Length); [Pipeline(typeof(In6), typeof(Out6))] public static partial class P { [Stage] static int Length(string? url) => url?.Length ?? 0; }" },
        { "SLU1002",
          "public sealed record Out5(string Url, int Length, object Extra); [Pipeline(typeof(In), typeof(Out5))] public static partial class P { [Stage] static int Length(string url) => url.Length; [Stage] static object Extra(int size) => size; }",
          "public sealed record Out5(string Url, int Length, long Extra); [Pipeline(typeof(In), typeof(Out5))] public static partial class P { [Stage] static int Length(string url) => url.Length; [Stage] static long Extra(int size) => size; }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_fires_on_the_failing_example(string id, string failing, string fixedSource)
    {
        _ = fixedSource;
        var (generator, _, _) = GeneratorHarness.Run(Records + failing);
        Assert.Contains(generator, d => d.Id == id);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fixed_example_compiles_without_the_diagnostic_or_any_warning(string id, string failing, string fixedSource)
    {
        _ = failing;
        var (generator, compiled, _) = GeneratorHarness.Run(Records + fixedSource);
        Assert.DoesNotContain(generator, d => d.Id == id);
        Assert.DoesNotContain(generator, d => d.Severity >= DiagnosticSeverity.Warning);
        Assert.Empty(compiled);
    }

    [Fact]
    public void Messages_name_the_stage_the_column_and_the_available_columns()
    {
        var (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string link) => link.Length; }");
        var d = Assert.Single(generator, x => x.Id == "SLU0002");
        var message = d.GetMessage();
        Assert.Contains("'Length'", message);
        Assert.Contains("'link'", message);
        Assert.Contains("Url (string)", message);
        Assert.Contains("Size (int)", message);
        Assert.Equal("Pipeline0.cs", d.Location.GetLineSpan().Path);
    }

    [Fact]
    public void A_column_written_later_is_not_available_earlier_and_the_message_says_where_it_is_made()
    {
        var (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Twice(int length) => length * 2; [Stage] static int Length(string url) => url.Length; }");
        var d = Assert.Single(generator, x => x.Id == "SLU0002");
        Assert.Contains("'Twice'", d.GetMessage());
        Assert.Contains("column 'Length' is made by stage 'Length', which is declared after 'Twice': stages run in declaration order", d.GetMessage());
    }

    [Fact]
    public void A_stage_that_reads_the_column_it_writes_replaces_it_and_one_that_does_not_is_told_how()
    {
        // Url replaced by a stage that reads it; a Column option replaces a stage's column; the output gets the new values.
        var (clean, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static string Url(string url) => url.Trim(); " +
            "[Stage] static int Length(string url) => url.Length; [Stage(Column = \"Length\")] static int Twice(int length) => length * 2; }");
        Assert.Empty(clean);

        var (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; [Stage] static int Size(int length) => length; }");
        var message = Assert.Single(generator, x => x.Id == "SLU0005").GetMessage();
        Assert.Contains("Stage 'Size' writes column 'Size', which the input record already produces", message);
        Assert.Contains("or replace it in place by reading it: Size(int size, ...)", message);

        var (bad, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage(Column = \"my-length\")] static int Length(string url) => url.Length; }");
        Assert.Contains("Column must be a C# identifier", Assert.Single(bad, x => x.Id == "SLU0011").GetMessage());
    }

    [Fact]
    public void SLU0013_names_the_constructor_parameter_it_cannot_fill()
    {
        var (generator, _, _) = GeneratorHarness.Run(Records +
            "public sealed class Out4 { public string Url { get; } public int Length { get; } public Out4(string link, int length) { Url = link; Length = length; } } [Pipeline(typeof(In), typeof(Out4))] public static partial class P { [Stage] static int Length(string url) => url.Length; }");
        var message = Assert.Single(generator, x => x.Id == "SLU0013").GetMessage();
        Assert.Contains("constructor parameter 'link' (string) names no property of Out4 of its type (properties: Url, Length)", message);
    }

    [Fact]
    public void A_nullable_stage_result_into_a_non_nullable_output_property_is_reported_on_the_property()
    {
        var (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string url) => url.Length; } " +
            "public sealed record Out7(string Url, string Title); [Pipeline(typeof(In), typeof(Out7))] public static partial class Q { [Stage] static string? Title(string url) => url.Length > 3 ? url : null; }");
        var d = Assert.Single(generator, x => x.Id == "SLU1004");
        Assert.Contains("Pipeline 'Q': output property 'Title' is string, but column 'Title' is string? and may be null", d.GetMessage());
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void A_misspelt_column_gets_a_did_you_mean()
    {
        var (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string ulr) => ulr.Length; }");
        var d = Assert.Single(generator, x => x.Id == "SLU0002");
        Assert.EndsWith("; did you mean 'url'?", d.GetMessage());
        (generator, _, _) = GeneratorHarness.Run(Records +
            "[Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string address) => address.Length; }");
        Assert.DoesNotContain("did you mean", Assert.Single(generator, x => x.Id == "SLU0002").GetMessage());
    }

    [Theory]
    [InlineData("[Stage(MaxConcurrency = 0)] static async Task<int> Length(string url, CancellationToken ct) { await Task.Delay(1, ct); return url.Length; }", "MaxConcurrency must be at least 1 (was 0)")]
    [InlineData("[Stage(BatchSize = 0)] static void Length(ReadOnlySpan<string> url, Span<int> length) { }", "BatchSize must be at least 1 (was 0)")]
    public void A_zero_concurrency_or_batch_size_is_an_error(string stage, string message)
    {
        var (generator, _, _) = GeneratorHarness.Run(Records + "[Pipeline(typeof(In), typeof(Out))] public static partial class P { " + stage + " }");
        var d = Assert.Single(generator, x => x.Id == "SLU0011");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains(message, d.GetMessage());
    }

    [Fact]
    public void One_mistake_gives_one_diagnostic_and_the_calls_of_the_entry_points_still_compile()
    {
        // A misnamed parameter in the stage that makes an output column: before, the output column was reported
        // missing too (a false SLU0004), and every call of Create or RunAsync failed with CS0117.
        var (generator, compiled, _) = GeneratorHarness.Run(Records + """
            [Pipeline(typeof(In), typeof(Out))] public static partial class P { [Stage] static int Length(string link) => link.Length; }
            public static class Program
            {
                public static async Task<int> Main(string[] args)
                {
                    var rows = await P.Create(new PipelineOptions { Workers = 2 }).RunAsync(new[] { new In("a", 1) });
                    return rows.Count + await P.RunAsync(args);
                }
            }
            """);
        Assert.Equal(["SLU0002"], generator.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id));
        Assert.Empty(compiled.Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Every_diagnostic_id_is_documented_with_an_example()
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics.md"));
        foreach (var id in Cases.Select(c => (string)c[0]))
            Assert.Contains("## " + id, docs);
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }
}
