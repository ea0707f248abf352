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
    public async Task No_partial_batch_is_cut_while_every_batch_worker_is_busy()
    {
        lock (SlowBatches.Sizes) { SlowBatches.Sizes.Clear(); SlowBatches.Times.Clear(); }
        async IAsyncEnumerable<Item> Trickle()
        {
            // Five rows, then a stall longer than the first batch's longest wait (25 x 20 ms): the idle worker
            // gets those five. Then one row every 40 ms, always longer than the 20 ms flush delay.
            for (int i = 0; i < 5; i++) yield return new Item(i);
            await Task.Delay(800);
            for (int i = 5; i < 29; i++)
            {
                yield return new Item(i);
                await Task.Delay(40);
            }
        }

        var result = await SlowBatches.Create(new PipelineOptions { MorselSize = 1, BatchFlushDelay = TimeSpan.FromMilliseconds(20) })
            .RunAsync(Source.From(Trickle()), Sink.Null<Scored>());
        Assert.Equal(29, result.RowsWritten);
        List<int> sizes;
        lock (SlowBatches.Sizes) sizes = SlowBatches.Sizes.ToList();
        string seen = $"batches {string.Join(", ", sizes)} at {string.Join(", ", SlowBatches.Times)} ms";
        Assert.True(29 == sizes.Sum(), seen);
        Assert.True(sizes[0] == 5, seen);
        // While the worker is busy (300 ms a batch) the rows that arrive (about 300 / 40 of them) wait for it
        // in one batch instead of being cut into batches of 1.
        Assert.True(sizes.Count <= 7, $"{seen}: partial batches were cut while the worker was busy");
        Assert.True(sizes.Skip(1).Take(sizes.Count - 2).All(n => n >= 4), seen);
    }

    [Fact]
    public async Task Rows_that_come_in_a_steady_rhythm_fill_whole_batches_even_with_the_worker_idle()
    {
        lock (FastBatches.Sizes) FastBatches.Sizes.Clear();
        async IAsyncEnumerable<Item> Steady()
        {
            // One row every 40 ms, twice the 20 ms flush delay: a flat delay would cut 24 batches of one row
            // for the idle worker. The feeder learns the rhythm and waits for it instead.
            for (int i = 0; i < 24; i++)
            {
                yield return new Item(i);
                await Task.Delay(40);
            }
        }

        var result = await FastBatches.Create(new PipelineOptions { MorselSize = 1, BatchFlushDelay = TimeSpan.FromMilliseconds(20) })
            .RunAsync(Source.From(Steady()), Sink.Null<Scored>());
        Assert.Equal(24, result.RowsWritten);
        List<int> sizes;
        lock (FastBatches.Sizes) sizes = FastBatches.Sizes.ToList();
        string seen = $"batches {string.Join(", ", sizes)}";
        Assert.Equal(24, sizes.Sum());
        Assert.True(sizes.Count <= 10, $"{seen}: the steady rows were cut into partial batches");
        Assert.True(sizes.Skip(sizes.Count / 2).Take(sizes.Count - sizes.Count / 2 - 1).All(n => n == 4), seen);
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
