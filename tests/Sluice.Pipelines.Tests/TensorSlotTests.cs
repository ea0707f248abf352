using Sluice;
using Xunit;

namespace Sluice.Pipelines.Tests;

/// <summary>The runtime lays tensors bound for a batch stage out in batch buffers (TensorSlots) and cuts batches along them.</summary>
[Collection(nameof(RuntimeGuaranteeTests))] // TensorBatches.FailEvery is shared
public class TensorSlotTests
{
    private static async Task<(RunResult Result, List<Checked> Rows)> Run(int rows, int morselSize, bool ordered, int failEvery = int.MaxValue, int holeEvery = int.MaxValue)
    {
        TensorBatches.FailEvery = failEvery;
        TensorBatches.HoleEvery = holeEvery;
        try
        {
            var output = new List<Checked>();
            var result = await TensorBatches.Create(new PipelineOptions { Workers = 2, MorselSize = morselSize, Ordered = ordered, MemoryLimit = 64 << 20 })
                .RunAsync(Source.From(Enumerable.Range(0, rows).Select(i => new Slotted(i))), Sink.To(output));
            return (result, output);
        }
        finally { TensorBatches.FailEvery = TensorBatches.HoleEvery = int.MaxValue; }
    }

    [Fact]
    public async Task Batches_of_rows_with_tensors_each_lie_in_one_buffer()
    {
        var (result, rows) = await Run(1_000, morselSize: 4 * TensorBatches.BatchSize, ordered: false);
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(Enumerable.Range(0, 1_000), rows.Select(r => r.Id).Order());
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value)); // each row kept its own tensor
        Assert.All(rows, r => Assert.Equal(1, r.Contiguous));
        Assert.Equal(0, result.Metrics.BytesInFlight); // every batch buffer went back
    }

    [Theory]
    [InlineData(1)]  // one row per morsel (as rows leave an async stage one by one)
    [InlineData(20)] // morsels that are no multiple of the batch
    public async Task Batches_lie_in_one_buffer_whatever_the_morsels_and_rows_that_fail_before_their_tensor_leave_no_gap(int morselSize)
    {
        var (result, rows) = await Run(2_000, morselSize, ordered: false);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        Assert.All(rows, r => Assert.Equal(1, r.Contiguous));
        Assert.Equal(0, result.Metrics.BytesInFlight);

        // Rows that fail before their tensor (an image that does not decode) never take a slot.
        (result, rows) = await Run(4_000, morselSize, ordered: false, failEvery: 50);
        Assert.Equal(80, result.RowsFailed);
        Assert.Equal(3_920, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        Assert.All(rows, r => Assert.Equal(1, r.Contiguous));
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public async Task Rows_that_fail_after_taking_their_slot_leave_a_hole_that_only_their_batch_pays_for()
    {
        // One row in 50 fails after it took its slot: its batch is sent without it (compacted, so the model's
        // helper copies it); the other batches are untouched and no row is lost or mixed up.
        var (result, rows) = await Run(2_000, morselSize: 32, ordered: false, holeEvery: 50);
        Assert.Equal(40, result.RowsFailed);
        Assert.Equal(1_960, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        double share = rows.Count(r => r.Contiguous == 1) / (double)rows.Count;
        Console.WriteLine($"one row in 50 failing after it took its tensor: {share:P1} of rows in contiguous batches");
        Assert.InRange(share, 0.7, 0.95); // 40 of 250 batches hold a hole
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public async Task Ordered_output_keeps_input_order_and_gives_each_tensor_its_own_buffer()
    {
        var (result, rows) = await Run(300, morselSize: 32, ordered: true);
        Assert.Equal(Enumerable.Range(0, 300), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        // Batches of own buffers are never one span (a batch of one row, cut by the flush timer, would be).
        Assert.True(rows.Count(r => r.Contiguous == 1) <= 15, $"{rows.Count(r => r.Contiguous == 1)} rows came in contiguous batches");
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }
}
