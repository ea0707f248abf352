// TEMPORARY stub fixing the public signature; the hosting work replaces this file.
namespace Sluice;

/// <summary>Runs a pipeline as a command-line program with standard options, live progress and a summary.</summary>
public static partial class PipelineHost
{
    /// <summary>Parses <paramref name="args"/>, runs the pipeline made by <paramref name="create"/>, returns the process exit code.</summary>
    public static Task<int> RunAsync<TIn, TOut>(Func<PipelineOptions?, Pipeline<TIn, TOut>> create, string[] args, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();
}
