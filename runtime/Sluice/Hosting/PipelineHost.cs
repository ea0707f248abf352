using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Reflection;

namespace Sluice;

/// <summary>The exit codes of a program run by <see cref="PipelineHost"/>.</summary>
public static class HostExitCode
{
    /// <summary>0: the run completed; rows that failed (if any) stayed under <c>--max-failed-rows</c>.</summary>
    public const int Completed = 0;
    /// <summary>1: the run failed: a stage with <c>OnError.Fail</c> threw, an input or output could not be used, an I/O error.</summary>
    public const int Failed = 1;
    /// <summary>2: the command line was wrong: a missing, unknown or malformed option.</summary>
    public const int Usage = 2;
    /// <summary>3: more rows failed than <c>--max-failed-rows</c> allows (a count or a share), or rows failed and none was written.</summary>
    public const int TooManyFailedRows = 3;
    /// <summary>130: the run was cancelled (Ctrl-C, SIGTERM or the caller's token); rows written so far are valid.</summary>
    public const int Cancelled = 130;
}

/// <summary>
/// Runs a pipeline as a command-line program with standard options, live progress and a summary.
/// </summary>
/// <remarks>
/// <para>Options: <c>--input</c> (required, paths or globs), <c>--output</c> (required), <c>--workers</c>,
/// <c>--memory-limit</c>, <c>--max-failed-rows</c>, <c>--dead-letter</c>, <c>--ordered</c>, <c>--quiet</c>,
/// <c>--morsel-size</c>, <c>--set key=value</c>, <c>--progress auto|rich|plain|none</c>, <c>--report</c>,
/// <c>--help</c>, <c>--version</c>. docs/cli.md describes each.</para>
/// <para>Output: help and version go to standard output. Everything else the host prints (progress, the
/// summary, errors) goes to standard error, so standard output stays free for the pipeline's own use.
/// On an interactive terminal progress is a live table; otherwise a plain line every 5 seconds.
/// <c>--quiet</c> leaves only errors. Stack traces are printed only when <c>SLUICE_DEBUG=1</c>.</para>
/// <para>Exit codes (<see cref="HostExitCode"/>): 0 completed; 1 the run failed; 2 usage error;
/// 3 <c>--max-failed-rows</c> exceeded; 130 cancelled. The first Ctrl-C (SIGINT) or SIGTERM cancels the
/// run cleanly and the summary says what was written where; a second one stops it now, dropping the rows in
/// flight (the files, report and summary still agree); a third ends the process.</para>
/// </remarks>
public static partial class PipelineHost
{
    /// <summary>
    /// Parses <paramref name="args"/>, runs the pipeline made by <paramref name="create"/> from the
    /// <c>--input</c> files (<see cref="Source.Files{T}"/>) to the <c>--output</c> file (<see cref="Sink.File{T}(string)"/>),
    /// shows progress and a summary on standard error, and returns the process exit code (see <see cref="HostExitCode"/>).
    /// </summary>
    /// <param name="create">Makes the pipeline from the options the command line describes (the generated <c>Create</c>).</param>
    /// <param name="args">The program's arguments.</param>
    /// <param name="cancellationToken">Cancels the run like Ctrl-C does (exit code 130).</param>
    public static Task<int> RunAsync<TIn, TOut>(Func<PipelineOptions?, Pipeline<TIn, TOut>> create, string[] args, CancellationToken cancellationToken = default)
        => RunAsync(create, args, HostConsole.FromProcess(), cancellationToken);

    /// <summary>The host on <paramref name="console"/>, reading and writing files.</summary>
    internal static Task<int> RunAsync<TIn, TOut>(Func<PipelineOptions?, Pipeline<TIn, TOut>> create, string[] args, HostConsole console,
                                                  CancellationToken cancellationToken = default)
        => RunAsync(create, args, console, static inputs => Source.Files<TIn>([.. inputs]), static (output, maxFileBytes) => Sink.File<TOut>(output, maxFileBytes),
                    cancellationToken);

    /// <summary>The host on <paramref name="console"/> with the source and sink made by the given factories (tests use memory).</summary>
    internal static Task<int> RunAsync<TIn, TOut>(
        Func<PipelineOptions?, Pipeline<TIn, TOut>> create, string[] args, HostConsole console,
        Func<IReadOnlyList<string>, ISource<TIn>> openSource, Func<string, ISink<TOut>> openSink, CancellationToken cancellationToken = default)
        => RunAsync(create, args, console, openSource, (output, maxFileBytes) => maxFileBytes is null ? openSink(output)
               : throw new NotSupportedException("--max-file-size: this program's output is not a file format that rolls."), cancellationToken);

    /// <summary>The host with a sink factory that takes the size to roll output files at (--max-file-size).</summary>
    internal static async Task<int> RunAsync<TIn, TOut>(
        Func<PipelineOptions?, Pipeline<TIn, TOut>> create, string[] args, HostConsole console,
        Func<IReadOnlyList<string>, ISource<TIn>> openSource, Func<string, long?, ISink<TOut>> openSink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        try
        {
            var cli = new HostCommandLine(
                $"Runs a Sluice pipeline from {typeof(TIn).Name} rows to {typeof(TOut).Name} rows. " +
                "Exit codes: 0 completed, 1 failed, 2 usage error, 3 --max-failed-rows exceeded, 130 cancelled.");
            var parse = cli.Parse(args);

            // --help and --version are System.CommandLine's own actions; they win over parse errors.
            if (parse.Action is { } action && !ReferenceEquals(action, cli.RunAction) && action is not ParseErrorAction)
            {
                var invocation = new InvocationConfiguration
                {
                    Output = console.Out,
                    Error = console.Error,
                    EnableDefaultExceptionHandler = false,
                    ProcessTerminationTimeout = null,
                };
                return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
            }

            if (parse.Errors.Count > 0)
            {
                foreach (var error in parse.Errors) console.Error.WriteLine($"error: {HostCommandLine.Describe(error)}");
                console.Error.WriteLine($"Run '{RootCommand.ExecutableName} --help' to see the options.");
                return HostExitCode.Usage;
            }

            return await RunParsedAsync(create, cli.Read(parse), console, openSource, openSink, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            PrintError(console, Unwrap(e).Message, e);
            return HostExitCode.Failed;
        }
    }

    private static async Task<int> RunParsedAsync<TIn, TOut>(
        Func<PipelineOptions?, Pipeline<TIn, TOut>> create, HostSettings settings, HostConsole console,
        Func<IReadOnlyList<string>, ISource<TIn>> openSource, Func<string, long?, ISink<TOut>> openSink, CancellationToken cancellationToken)
    {
        Pipeline<TIn, TOut> pipeline;
        try { pipeline = create(settings.ToPipelineOptions()); }
        catch (Exception e) { return Failed(console, $"cannot create the pipeline: {Unwrap(e).Message}", e); }

        ISource<TIn> source;
        try { source = openSource(settings.Inputs); }
        catch (Exception e) { return Failed(console, $"input {string.Join(", ", settings.Inputs.Select(i => $"'{i}'"))}: {Unwrap(e).Message}", e); }

        // --output out/ (a folder): a file in it, in the input's format.
        string output = settings.Output;
        if (FileFormats.IsFolder(output) && settings.Inputs.Count > 0)
        {
            string name = Path.GetFileName(settings.Inputs[0]);
            int dot = name.IndexOf('.', 1);
            output = Path.Combine(output, "part-00000" + (dot < 0 ? ".jsonl" : name[dot..]));
            settings = settings with { Output = output };
        }
        ISink<TOut> sink;
        try { sink = openSink(output, settings.MaxFileBytes); }
        catch (Exception e) { return Failed(console, $"output '{settings.Output}': {Unwrap(e).Message}", e); }

        using var cancellation = new HostCancellation(cancellationToken, console.HandleSignals, console.StopNow);
        PipelineRun run;
        try { run = pipeline.Start(source, sink, cancellation.Token); }
        catch (Exception e) { return Failed(console, $"cannot start the run: {Unwrap(e).Message}", e); }
        cancellation.OnStopNow(run.Abandon);

        using var trace = MemoryTrace.StartFromEnvironment(run.Metrics);
        if (ProgressDisplay.Create(settings.Progress, settings.Quiet, console) is { } display)
        {
            // A display that breaks (a terminal gone away) must not take the run with it.
            try { await display.RunAsync(run.Metrics, run.Completion, cancellation).ConfigureAwait(false); }
            catch (Exception e) when (console.Debug) { console.Error.WriteLine($"progress display failed: {e}"); }
            catch (Exception) { }
        }
        var result = await run.Completion.ConfigureAwait(false);
        if (trace is not null) await trace.StopAsync().ConfigureAwait(false);

        int exitCode = result.Status switch
        {
            RunStatus.Completed => HostExitCode.Completed,
            RunStatus.Cancelled => HostExitCode.Cancelled,
            _ when result.Error is { } e && Unwrap(e) is MaxFailedRowsExceededException => HostExitCode.TooManyFailedRows,
            _ => HostExitCode.Failed,
        };
        var outcome = new RunOutcome(pipeline.Plan.Name, settings, result, exitCode, PeakWorkingSet());

        Exception? reportError = null;
        if (settings.Report is { } report)
        {
            try { RunReport.WriteFile(report, outcome); }
            catch (Exception e) { reportError = e; }
        }

        if (!settings.Quiet) RunSummary.Write(console.Error, outcome);
        if (outcome.Error is { } error)
        {
            if (!settings.Quiet) console.Error.WriteLine();
            // Too many failed rows is a verdict on the data, not a crash: no stack trace to offer.
            PrintError(console, error.Message, error is MaxFailedRowsExceededException ? null : error);
        }
        if (reportError is not null)
        {
            PrintError(console, $"cannot write --report '{settings.Report}': {Unwrap(reportError).Message}", reportError);
            if (exitCode == HostExitCode.Completed) exitCode = HostExitCode.Failed;
        }
        return exitCode;
    }

    private static int Failed(HostConsole console, string message, Exception e)
    {
        PrintError(console, message, e);
        return HostExitCode.Failed;
    }

    /// <summary>Prints <c>error: message</c>; the exception's stack trace only with <c>SLUICE_DEBUG=1</c>.</summary>
    private static void PrintError(HostConsole console, string message, Exception? e)
    {
        console.Error.WriteLine($"error: {message}");
        if (e is null) return;
        if (console.Debug) console.Error.WriteLine(e.ToString());
        else console.Error.WriteLine("(set SLUICE_DEBUG=1 to see the stack trace)");
    }

    /// <summary>The exception that says what went wrong, without the wrappers tasks and reflection add.</summary>
    internal static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                case PipelineFailedException { InnerException: { } inner }: e = inner; continue;
                default: return e;
            }
        }
    }

    private static long PeakWorkingSet()
    {
        try
        {
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            return process.PeakWorkingSet64;
        }
        catch (Exception) { return Environment.WorkingSet; }
    }
}
