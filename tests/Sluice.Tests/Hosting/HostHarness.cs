using Sluice;
using Sluice.Tests.Runtime;

namespace Sluice.Tests.Hosting;

/// <summary>Runs <see cref="PipelineHost"/> in-process over the hand-written Words pipeline, with memory as source and sink.</summary>
internal sealed class HostHarness
{
    public StringWriter Out { get; } = new();
    public StringWriter Error { get; } = new();
    public List<WordRow> Written { get; } = new();
    public PipelineOptions? Options { get; private set; }
    public IReadOnlyList<string>? Inputs { get; private set; }
    public string? OutputPath { get; private set; }

    public bool IsTerminal { get; init; }
    public TimeSpan PlainInterval { get; init; } = TimeSpan.FromSeconds(5);
    public OnError LengthPolicy { get; init; } = OnError.DeadLetter;
    public bool Debug { get; init; }
    /// <summary>Write to the --output file (JSON Lines) instead of <see cref="Written"/>.</summary>
    public bool FileOutput { get; init; }
    /// <summary>The second Ctrl-C.</summary>
    public CancellationToken StopNow { get; init; }

    public string Err => Error.ToString();

    public Task<int> RunAsync(IEnumerable<Doc> docs, params string[] args) => RunAsync(Source.From(docs), args);

    public Task<int> RunAsync(ISource<Doc> source, string[] args, CancellationToken cancellationToken = default) =>
        PipelineHost.RunAsync(
            options => { Options = options; return Words.Create(options, LengthPolicy); },
            args,
            new HostConsole { Out = Out, Error = Error, IsTerminal = IsTerminal, Debug = Debug, PlainInterval = PlainInterval, RichInterval = TimeSpan.FromMilliseconds(20), StopNow = StopNow },
            inputs => { Inputs = inputs; return source; },
            output => { OutputPath = output; return FileOutput ? Sink.JsonLines<WordRow>(output) : Sink.To(Written); },
            cancellationToken);

    public static List<Doc> Docs(params string[] texts) => texts.Select((t, i) => new Doc(t, i)).ToList();

    public static List<Doc> ManyDocs(int n) => Enumerable.Range(0, n).Select(i => new Doc($"alpha beta{i % 7}", i)).ToList();

    public static string TempPath(string extension) => Path.Combine(Path.GetTempPath(), $"sluice-host-{Guid.NewGuid():N}{extension}");
}
