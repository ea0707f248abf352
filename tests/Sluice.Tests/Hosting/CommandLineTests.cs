using Sluice;
using Sluice.Tests.Runtime;
using Xunit;

namespace Sluice.Tests.Hosting;

public class CommandLineTests
{
    private static readonly List<Doc> Docs = HostHarness.Docs("a b", "c");

    [Fact]
    public async Task A_missing_input_is_a_usage_error_naming_the_option()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--output", "out.jsonl");
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains("--input", host.Err);
        Assert.Null(host.Options);
    }

    [Fact]
    public async Task A_missing_output_is_a_usage_error_naming_the_option()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl");
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains("--output", host.Err);
    }

    [Fact]
    public async Task An_unknown_option_is_a_usage_error_naming_it()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--bogus");
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains("--bogus", host.Err);
    }

    [Fact]
    public async Task A_bad_memory_limit_is_a_usage_error_naming_the_value()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--memory-limit", "12XB");
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains("--memory-limit", host.Err);
        Assert.Contains("'12XB'", host.Err);
    }

    [Theory]
    [InlineData("--workers", "0")]
    [InlineData("--workers", "many")]
    [InlineData("--morsel-size", "-1")]
    [InlineData("--max-failed-rows", "ten")]
    [InlineData("--progress", "fancy")]
    public async Task A_bad_number_or_choice_is_a_usage_error_naming_the_option(string option, string value)
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", option, value);
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains(option, host.Err);
    }

    [Fact]
    public async Task Options_reach_the_pipeline_options()
    {
        var host = new HostHarness();
        var deadLetter = HostHarness.TempPath(".jsonl");
        try
        {
            var code = await host.RunAsync(Docs, "--input", "a.jsonl", "b/*.jsonl", "--output", "out.csv", "--workers", "3",
                "--memory-limit", "2GiB", "--max-failed-rows", "7", "--ordered", "--morsel-size", "64", "--dead-letter", deadLetter, "--quiet");
            Assert.Equal(HostExitCode.Completed, code);
            var o = Assert.IsType<PipelineOptions>(host.Options);
            Assert.Equal(3, o.Workers);
            Assert.Equal(2L << 30, o.MemoryLimit);
            Assert.Equal(7, o.MaxFailedRows);
            Assert.Null(o.MaxFailedFraction);
            Assert.True(o.Ordered);
            Assert.Equal(64, o.MorselSize);
            Assert.Equal(deadLetter, o.DeadLetterPath);
            Assert.Equal(new[] { "a.jsonl", "b/*.jsonl" }, host.Inputs);
            Assert.Equal("out.csv", host.OutputPath);
        }
        finally { File.Delete(deadLetter); }
    }

    [Theory]
    [InlineData("5%", 0.05)]
    [InlineData("0.5%", 0.005)]
    [InlineData("100%", 1.0)]
    public async Task Max_failed_rows_as_a_percentage_is_a_fraction_of_the_rows_read(string text, double fraction)
    {
        var host = new HostHarness();
        await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--max-failed-rows", text, "--quiet");
        var o = Assert.IsType<PipelineOptions>(host.Options);
        Assert.Null(o.MaxFailedRows);
        Assert.Equal(fraction, o.MaxFailedFraction!.Value, 10);
    }

    [Theory]
    [InlineData("150%", "is not a percentage from 0% to 100%")]
    [InlineData("-1", "neither a whole number of rows")]
    [InlineData("five", "neither a whole number of rows")]
    public async Task A_bad_max_failed_rows_is_a_usage_error(string text, string message)
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--max-failed-rows", text);
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains(message, host.Err);
    }

    [Fact]
    public async Task Unset_options_keep_the_pipeline_defaults()
    {
        var host = new HostHarness();
        await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--quiet");
        var o = Assert.IsType<PipelineOptions>(host.Options);
        var defaults = new PipelineOptions();
        Assert.Equal(defaults.Workers, o.Workers);
        Assert.Equal(defaults.MorselSize, o.MorselSize);
        Assert.Null(o.MemoryLimit);
        Assert.Null(o.MaxFailedRows);
        Assert.Null(o.DeadLetterPath);
        Assert.False(o.Ordered);
    }

    [Fact]
    public async Task Set_adds_each_key_value_pair_to_the_settings()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--quiet",
            "--set", "model=models/r18.onnx", "--set", "threshold=0.5", "--set", "expr=a=b", "--set", "empty=");
        Assert.Equal(HostExitCode.Completed, code);
        var settings = host.Options!.Settings;
        Assert.Equal("models/r18.onnx", settings["model"]);
        Assert.Equal(0.5, host.Options.Get("Threshold", 0.0));
        Assert.Equal("a=b", settings["expr"]);
        Assert.Equal("", settings["empty"]);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=value")]
    [InlineData(" =value")]
    public async Task A_malformed_set_is_a_usage_error_naming_it(string setting)
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--input", "in.jsonl", "--output", "out.jsonl", "--set", setting);
        Assert.Equal(HostExitCode.Usage, code);
        Assert.Contains("--set", host.Err);
        Assert.Contains(setting, host.Err);
    }

    [Theory]
    [InlineData("key=value", "key", "value")]
    [InlineData(" key =value", "key", "value")]
    [InlineData("url=http://x/?a=1", "url", "http://x/?a=1")]
    [InlineData("k=", "k", "")]
    public void A_setting_splits_at_the_first_equals_sign(string text, string key, string value)
    {
        Assert.True(HostCommandLine.TryParseSetting(text, out var pair));
        Assert.Equal(key, pair.Key);
        Assert.Equal(value, pair.Value);
    }

    [Fact]
    public async Task Help_lists_the_options_on_standard_output_and_exits_0()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--input", "--output", "--workers", "--memory-limit", "--max-failed-rows", "--dead-letter",
                                       "--ordered", "--quiet", "--morsel-size", "--set", "--progress", "--report" })
            Assert.Contains(option, host.Out.ToString());
        Assert.Null(host.Options);
    }

    [Fact]
    public async Task Version_prints_a_version_and_exits_0()
    {
        var host = new HostHarness();
        var code = await host.RunAsync(Docs, "--version");
        Assert.Equal(0, code);
        Assert.False(string.IsNullOrWhiteSpace(host.Out.ToString()));
        Assert.Null(host.Options);
    }
}
