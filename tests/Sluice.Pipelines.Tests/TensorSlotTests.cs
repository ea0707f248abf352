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
    public async Task Batches_of_morsels_a_multiple_of_the_batch_size_each_lie_in_one_buffer()
    {
        var (result, rows) = await Run(1_000, morselSize: 4 * TensorBatches.BatchSize, ordered: false);
        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(Enumerable.Range(0, 1_000), rows.Select(r => r.Id).Order());
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value)); // each row kept its own tensor
        Assert.All(rows, r => Assert.Equal(1, r.Contiguous));
        Assert.Equal(0, result.Metrics.BytesInFlight); // every batch buffer went back
    }

    [Fact]
    public async Task Other_morsel_sizes_and_failed_rows_keep_most_batches_in_one_buffer_and_every_row_its_values()
    {
        // 20-row morsels and batches of 8: the batches that span two morsels are copied, the rest are not.
        var (result, rows) = await Run(2_000, morselSize: 20, ordered: false);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        double share = rows.Count(r => r.Contiguous == 1) / (double)rows.Count;
        Console.WriteLine($"20-row morsels, batches of 8: {share:P1} of rows in contiguous batches");
        Assert.True(share >= 0.6, $"only {share:P0} of rows came in contiguous batches");
        Assert.Equal(0, result.Metrics.BytesInFlight);

        // Rows that fail before their tensor (an image that does not decode) make morsels shorter than a
        // multiple of the batch: from then on one batch per morsel spans two morsels and is copied.
        (result, rows) = await Run(4_000, morselSize: 32, ordered: false, failEvery: 50);
        Assert.Equal(80, result.RowsFailed);
        Assert.Equal(3_920, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        share = rows.Count(r => r.Contiguous == 1) / (double)rows.Count;
        Console.WriteLine($"32-row morsels, one row in 50 failing before its tensor: {share:P1} of rows in contiguous batches");
        Assert.True(share >= 0.6, $"only {share:P0} of rows came in contiguous batches");
        Assert.Equal(0, result.Metrics.BytesInFlight);

        // Rows that fail after taking their slot leave holes: those batches are copied, none is lost.
        (result, rows) = await Run(2_000, morselSize: 32, ordered: false, holeEvery: 50);
        Assert.Equal(40, result.RowsFailed);
        Assert.Equal(1_960, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        share = rows.Count(r => r.Contiguous == 1) / (double)rows.Count;
        Console.WriteLine($"32-row morsels, one row in 50 failing after it took its tensor: {share:P1} of rows in contiguous batches");
        Assert.Contains(rows, r => r.Contiguous == 1);
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public async Task Ordered_output_keeps_input_order_with_batches_in_one_buffer()
    {
        var (result, rows) = await Run(300, morselSize: 32, ordered: true);
        Assert.Equal(Enumerable.Range(0, 300), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(r.Id, r.Value));
        Assert.All(rows, r => Assert.Equal(1, r.Contiguous));
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }
}
