using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Sluice;

/// <summary>How live progress is shown.</summary>
internal enum ProgressMode
{
    /// <summary>A live table on an interactive terminal, plain lines otherwise.</summary>
    Auto,
    /// <summary>The live table, even when the terminal was not detected.</summary>
    Rich,
    /// <summary>A plain line every few seconds.</summary>
    Plain,
    /// <summary>No progress (the summary is still printed).</summary>
    None,
}

/// <summary><c>--max-failed-rows</c>: a count of rows (<c>100</c>) or a share of the rows read (<c>5%</c>, as 0.05).</summary>
internal readonly record struct FailedRowsLimit(long? Count, double? Fraction);

/// <summary>What the command line asked for, after parsing and validation.</summary>
internal sealed record HostSettings(
    IReadOnlyList<string> Inputs,
    string Output,
    int? Workers,
    long? MemoryLimit,
    FailedRowsLimit? MaxFailedRows,
    string? DeadLetter,
    bool Ordered,
    bool Quiet,
    int? MorselSize,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    ProgressMode Progress,
    string? Report,
    long? MaxFileBytes = null)
{
    /// <summary>The pipeline options these settings describe; unset options keep their defaults.</summary>
    public PipelineOptions ToPipelineOptions()
    {
        var options = new PipelineOptions
        {
            Ordered = Ordered,
            MemoryLimit = MemoryLimit,
            MaxFailedRows = MaxFailedRows?.Count,
            MaxFailedFraction = MaxFailedRows?.Fraction,
            DeadLetterPath = DeadLetter,
        };
        if (Workers is int w) options.Workers = w;
        if (MorselSize is int m) options.MorselSize = m;
        foreach (var (key, value) in Settings) options.Settings[key] = value;
        return options;
    }
}

/// <summary>The standard options of a pipeline program, defined with System.CommandLine.</summary>
internal sealed class HostCommandLine
{
    private readonly Option<string[]> _input = new("--input", "-i")
    {
        Description = "Input files or globs, one or more (the format follows the extension: .jsonl, .ndjson, .json, .csv, optionally .gz).",
        HelpName = "PATH",
        Required = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "The output file (the format follows the extension: .jsonl, .ndjson, .csv, optionally .gz).",
        HelpName = "PATH",
        Required = true,
    };

    private readonly Option<int?> _workers = new("--workers")
    {
        Description = $"Workers per CPU segment. Default: one per core ({Environment.ProcessorCount} here).",
        HelpName = "N",
        CustomParser = r => ParseWhole(r, "--workers", min: 1, int.MaxValue) is long v ? (int)v : null,
    };

    private readonly Option<long?> _memoryLimit = new("--memory-limit")
    {
        Description = "Budget for payload bytes in flight, such as 512MB, 1.5GB, 2GiB or 1048576 (B/KB/MB/GB/TB are 1000-based, KiB/MiB/GiB/TiB 1024-based). Default: unbounded.",
        HelpName = "SIZE",
        CustomParser = ParseMemoryLimit,
    };

    private readonly Option<long?> _maxFileSize = new("--max-file-size")
    {
        Description = "Roll Parquet and Arrow output to a new file once one holds this many bytes, such as 512MB or 1GiB " +
                      "(with --output out/: out/part-00000.parquet, out/part-00001.parquet, ...). Default: one file.",
        HelpName = "SIZE",
        CustomParser = r => ParseSize(r, "--max-file-size"),
    };

    private readonly Option<FailedRowsLimit?> _maxFailedRows = new("--max-failed-rows")
    {
        Description = "Fail the run (exit code 3) once more rows than this have failed: a count (100) or a share of the rows read (5%). " +
                      "Default: no limit; a run in which rows failed and none was written always fails.",
        HelpName = "N|P%",
        CustomParser = ParseFailedRows,
    };

    private readonly Option<string?> _deadLetter = new("--dead-letter")
    {
        Description = "A JSON Lines file that receives failed rows with their stage and error. Default: failed rows are counted, not written.",
        HelpName = "FILE",
    };

    private readonly Option<bool> _ordered = new("--ordered")
    {
        Description = "Keep output rows in input order (costs some parallel slack).",
    };

    private readonly Option<bool> _quiet = new("--quiet", "-q")
    {
        Description = "Print no progress and no summary, only errors.",
    };

    private readonly Option<int?> _morselSize = new("--morsel-size")
    {
        Description = "Most rows a morsel (a batch in flight) holds. Default: 1024.",
        HelpName = "N",
        CustomParser = r => ParseWhole(r, "--morsel-size", min: 1, int.MaxValue) is long v ? (int)v : null,
    };

    private readonly Option<KeyValuePair<string, string>[]> _set = new("--set")
    {
        Description = "A pipeline setting read by its resources, as key=value. Repeat for more.",
        HelpName = "KEY=VALUE",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = ParseSettings,
    };

    private readonly Option<ProgressMode> _progress = new("--progress")
    {
        Description = "Live progress: auto (a live table on an interactive terminal, plain lines otherwise), rich, plain or none. Default: auto.",
        HelpName = "auto|rich|plain|none",
        CustomParser = ParseProgress,
    };

    private readonly Option<string?> _report = new("--report")
    {
        Description = "Write the run report (status, counts, timings, memory, per-stage metrics, failure samples) to this JSON file.",
        HelpName = "FILE",
    };

    public HostCommandLine(string description)
    {
        Root = new RootCommand(description)
        {
            _input, _output, _workers, _memoryLimit, _maxFileSize, _maxFailedRows, _deadLetter, _ordered, _quiet, _morselSize, _set, _progress, _report,
        };
        // The host runs the pipeline itself; this action only marks "run" apart from --help and --version.
        Root.SetAction(static _ => 0);
        RunAction = Root.Action!;
    }

    /// <summary>The command: options, help and version.</summary>
    public RootCommand Root { get; }

    /// <summary>The root's own action, to tell a run from help or version.</summary>
    public System.CommandLine.Invocation.CommandLineAction RunAction { get; }

    /// <summary>Parses the arguments (check <see cref="ParseResult.Errors"/> before <see cref="Read"/>).</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args);

    /// <summary>The settings of a parse without errors.</summary>
    public HostSettings Read(ParseResult parse) => new(
        parse.GetValue(_input) ?? [],
        parse.GetValue(_output)!,
        parse.GetValue(_workers),
        parse.GetValue(_memoryLimit),
        parse.GetValue(_maxFailedRows),
        parse.GetValue(_deadLetter),
        parse.GetValue(_ordered),
        parse.GetValue(_quiet),
        parse.GetValue(_morselSize),
        parse.GetValue(_set) ?? [],
        parse.GetValue(_progress),
        parse.GetValue(_report),
        parse.GetValue(_maxFileSize));

    private static long? ParseMemoryLimit(ArgumentResult result) => ParseSize(result, "--memory-limit");

    private static long? ParseSize(ArgumentResult result, string option)
    {
        var text = SingleToken(result);
        if (text is null) return null;
        if (MemorySize.TryParse(text, out var bytes)) return bytes;
        result.AddError($"{option}: '{text}' is not a size. Use a positive number of bytes or a number with a unit, such as 512MB, 1.5GB, 2GiB or 1048576.");
        return null;
    }

    private static ProgressMode ParseProgress(ArgumentResult result)
    {
        var text = SingleToken(result);
        if (text is null) return ProgressMode.Auto;
        foreach (var mode in (ProgressMode[])[ProgressMode.Auto, ProgressMode.Rich, ProgressMode.Plain, ProgressMode.None])
            if (string.Equals(text, mode.ToString(), StringComparison.OrdinalIgnoreCase)) return mode;
        result.AddError($"--progress: '{text}' is not one of auto, rich, plain, none.");
        return ProgressMode.Auto;
    }

    /// <summary>A parse error's message, prefixed with its option's name when the message does not say it.</summary>
    public static string Describe(ParseError error)
    {
        var option = error.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        return option is null || error.Message.Contains(option.Name, StringComparison.Ordinal) ? error.Message : $"{option.Name}: {error.Message}";
    }

    private static long? ParseWhole(ArgumentResult result, string option, long min, long max)
    {
        var text = SingleToken(result);
        if (text is null) return null;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        result.AddError($"{option}: '{text}' is not a whole number of at least {min}.");
        return null;
    }

    private static FailedRowsLimit? ParseFailedRows(ArgumentResult result)
    {
        var text = SingleToken(result);
        if (text is null) return null;
        if (text.EndsWith('%'))
        {
            if (double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) && percent <= 100)
                return new FailedRowsLimit(null, percent / 100);
            result.AddError($"--max-failed-rows: '{text}' is not a percentage from 0% to 100%.");
            return null;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)) return new FailedRowsLimit(count, null);
        result.AddError($"--max-failed-rows: '{text}' is neither a whole number of rows (100) nor a percentage of the rows read (5%).");
        return null;
    }

    private static string? SingleToken(ArgumentResult result)
    {
        if (result.Tokens.Count == 1) return result.Tokens[0].Value;
        // System.CommandLine reports a missing value itself; more than one is ours to refuse.
        if (result.Tokens.Count > 1) result.AddError($"expected one value, got {result.Tokens.Count}.");
        return null;
    }

    private static KeyValuePair<string, string>[] ParseSettings(ArgumentResult result)
    {
        var pairs = new List<KeyValuePair<string, string>>(result.Tokens.Count);
        foreach (var token in result.Tokens)
        {
            if (TryParseSetting(token.Value, out var pair)) pairs.Add(pair);
            else result.AddError($"--set: '{token.Value}' is not key=value (a non-empty key, '=', then the value).");
        }
        return pairs.ToArray();
    }

    /// <summary>Splits <c>key=value</c> at the first '='; the key is trimmed and must not be empty, the value may be.</summary>
    public static bool TryParseSetting(string text, out KeyValuePair<string, string> setting)
    {
        setting = default;
        int eq = text.IndexOf('=');
        if (eq < 0) return false;
        var key = text[..eq].Trim();
        if (key.Length == 0) return false;
        setting = new(key, text[(eq + 1)..]);
        return true;
    }
}
