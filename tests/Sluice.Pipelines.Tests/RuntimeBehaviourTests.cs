using Sluice;
using Xunit;

namespace Sluice.Pipelines.Tests;

[Collection(nameof(RuntimeGuaranteeTests))]
public class RuntimeBehaviourTests
{
    [Fact]
    public async Task A_partial_batch_runs_after_a_short_wait_without_waiting_for_more_rows()
    {
        var firstRowsOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var written = new List<Scored>();
        var sink = Sink.To<Scored>(rows => { lock (written) written.AddRange(rows.ToArray()); firstRowsOut.TrySetResult(); });

        async IAsyncEnumerable<Item> Trickle()
        {
            for (int i = 0; i < 5; i++) yield return new Item(i);
            // The source stalls until the first five rows came out: only a timed flush of the partial batch of 5 gets them there.
            await firstRowsOut.Task.WaitAsync(TimeSpan.FromSeconds(20));
            for (int i = 5; i < 10; i++) yield return new Item(i);
        }

        var result = await Batching.Create(new PipelineOptions { MorselSize = 1, BatchFlushDelay = TimeSpan.FromMilliseconds(20) })
            .RunAsync(Source.From(Trickle()), sink);
        Assert.Equal(10, result.RowsWritten);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 2), written.Select(r => r.Score).Order());
    }

    [Fact]
    public async Task An_async_stage_keeps_exactly_MaxConcurrency_calls_in_flight()
    {
        Concurrency.Max = 0;
        var rows = await Concurrency.Create().RunAsync(Enumerable.Range(0, 300).Select(i => new Item(i)));
        Assert.Equal(300, rows.Count);
        Assert.Equal(5, Concurrency.Max);
    }

    [Fact]
    public async Task Resources_are_made_once_per_worker_and_disposed_at_the_end()
    {
        Resources.Counter.Created = Resources.Counter.Disposed = 0;
        var rows = await Resources.Create(new PipelineOptions { Workers = 3 }).RunAsync(Enumerable.Range(0, 5000).Select(i => new Item(i)));
        Assert.Equal(10_000, rows.Count);
        Assert.Equal(3, Resources.Counter.Created);
        Assert.Equal(3, Resources.Counter.Disposed);
    }
}
