using Spectre.Console;
using Spectre.Console.Rendering;

namespace Sluice;

/// <summary>Shows a run's live counters until it completes. Every draw calls <see cref="RunMetrics.Refresh"/> first.</summary>
internal abstract class ProgressDisplay
{
    /// <summary>The display <paramref name="mode"/> asks for on <paramref name="console"/>, or null for none.</summary>
    public static ProgressDisplay? Create(ProgressMode mode, bool quiet, HostConsole console) => (quiet ? ProgressMode.None : mode) switch
    {
        ProgressMode.None => null,
        ProgressMode.Rich => new Rich(console),
        ProgressMode.Plain => new Plain(console),
        _ => console.IsTerminal ? new Rich(console) : new Plain(console),
    };

    /// <summary>Draws until <paramref name="completion"/> ends.</summary>
    public abstract Task RunAsync(RunMetrics metrics, Task completion, HostCancellation cancellation);

    /// <summary>Waits for <paramref name="delay"/> or the end of the run; true when the run has ended.</summary>
    protected static async Task<bool> WaitAsync(Task completion, TimeSpan delay)
    {
        await Task.WhenAny(completion, Task.Delay(delay)).ConfigureAwait(false);
        return completion.IsCompleted;
    }

    /// <summary>
    /// "42% (left 01:23) " when the input's size is known: the share of its bytes read, and the time left at the
    /// pace so far (from 1% on); empty otherwise.
    /// </summary>
    internal static string Progress(double? fraction, TimeSpan elapsed)
    {
        if (fraction is not double f) return "";
        string left = f >= 0.01 && f < 1 ? $" (left {Format.Clock(elapsed * ((1 - f) / f))})" : "";
        return $"{100 * f:0}%{left} ";
    }

    /// <summary>Rows per second over the last few seconds (not since the start, which hides slowdowns).</summary>
    protected sealed class RateMeter(TimeSpan window)
    {
        private readonly Queue<(TimeSpan At, long Rows)> _samples = new();

        public double Sample(TimeSpan at, long rows)
        {
            _samples.Enqueue((at, rows));
            while (_samples.Count > 2 && at - _samples.Peek().At > window) _samples.Dequeue();
            var (t0, r0) = _samples.Peek();
            return at > t0 ? (rows - r0) / (at - t0).TotalSeconds : Format.PerSecond(rows, at);
        }
    }

    /// <summary>A line to standard error every <see cref="HostConsole.PlainInterval"/>: for logs and redirected output.</summary>
    private sealed class Plain(HostConsole console) : ProgressDisplay
    {
        public override async Task RunAsync(RunMetrics metrics, Task completion, HostCancellation cancellation)
        {
            var tick = console.PlainInterval < TimeSpan.FromMilliseconds(250) ? console.PlainInterval : TimeSpan.FromMilliseconds(250);
            var next = console.PlainInterval;
            var rate = new RateMeter(console.PlainInterval);
            var written = new RateMeter(console.PlainInterval);
            rate.Sample(TimeSpan.Zero, 0);
            written.Sample(TimeSpan.Zero, 0);
            bool announced = false;
            while (!await WaitAsync(completion, tick).ConfigureAwait(false))
            {
                if (cancellation.Requested && !announced)
                {
                    announced = true;
                    console.Error.WriteLine(cancellation.Message);
                }
                var elapsed = metrics.Elapsed;
                if (elapsed < next) continue;
                while (next <= elapsed) next += console.PlainInterval;
                metrics.Refresh();
                long read = metrics.RowsRead, wrote = metrics.RowsWritten;
                // Rows in and rows out each at their own pace: once the source is read to its end, rows in stop
                // while rows out go on.
                console.Error.WriteLine(
                    $"[{Format.Clock(elapsed)}] {Progress(metrics.InputFraction, elapsed)}read {Format.Count(read)} written {Format.Count(wrote)} " +
                    $"failed {Format.Count(metrics.RowsFailed)} ({Format.Rate(rate.Sample(elapsed, read))} rows/s in, " +
                    $"{Format.Rate(written.Sample(elapsed, wrote))} out) payload {Format.Payload(metrics.BytesInFlight, metrics.MemoryLimit)}");
            }
        }
    }

    /// <summary>A live table on the terminal (standard error), redrawn about four times a second.</summary>
    private sealed class Rich(HostConsole console) : ProgressDisplay
    {
        public override async Task RunAsync(RunMetrics metrics, Task completion, HostCancellation cancellation)
        {
            var ansi = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(console.Error),
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.Yes,
            });
            var rate = new RateMeter(TimeSpan.FromSeconds(3));
            var written = new RateMeter(TimeSpan.FromSeconds(3));
            await ansi.Live(Render(metrics, rate, written, cancellation))
                .AutoClear(true)
                .Overflow(VerticalOverflow.Ellipsis)
                .StartAsync(async ctx =>
                {
                    while (!await WaitAsync(completion, console.RichInterval).ConfigureAwait(false))
                    {
                        ctx.UpdateTarget(Render(metrics, rate, written, cancellation));
                        ctx.Refresh();
                    }
                }).ConfigureAwait(false);
        }

        private static IRenderable Render(RunMetrics metrics, RateMeter rate, RateMeter written, HostCancellation cancellation)
        {
            metrics.Refresh();
            var elapsed = metrics.Elapsed;
            long read = metrics.RowsRead, wrote = metrics.RowsWritten;
            // Two short header lines rather than one that wraps on an 80-column terminal.
            var header = new Markup(Markup.Escape(
                $"{Format.Clock(elapsed)}  {Progress(metrics.InputFraction, elapsed)}read {Format.Count(read)}  written {Format.Count(wrote)}  " +
                $"failed {Format.Count(metrics.RowsFailed)}\n{Format.Rate(rate.Sample(elapsed, read))} rows/s in, " +
                $"{Format.Rate(written.Sample(elapsed, wrote))} out  payload in flight {Format.Payload(metrics.BytesInFlight, metrics.MemoryLimit)}"));

            var table = new Table().Border(TableBorder.Simple);
            table.AddColumn(new TableColumn("stage").NoWrap());
            table.AddColumn(new TableColumn("kind").NoWrap());
            foreach (var name in (string[])["rows in", "rows out", "failed", "busy", "cpu", "queue", "bytes"])
                table.AddColumn(new TableColumn(name).RightAligned().NoWrap());
            foreach (var s in metrics.Stages)
            {
                table.AddRow(
                    Markup.Escape(s.Name), s.Stage.Kind.ToString(), Format.Count(s.RowsIn), Format.Count(s.RowsOut),
                    s.Failed > 0 ? $"[red]{Format.Count(s.Failed)}[/]" : "0", Format.Seconds(s.Busy), Format.Seconds(s.Cpu),
                    Format.Count(s.QueueDepth), MemorySize.Format(s.BytesInFlight));
            }
            table.AddRow("(rest)", "", "", "", "", "", Format.Seconds(metrics.OtherCpu), "", "");

            return cancellation.Requested
                ? new Rows(header, table, new Markup("[yellow]" + Markup.Escape(cancellation.Message) + "[/]"))
                : new Rows(header, table);
        }
    }
}
