using Sluice;
using Xunit;

namespace Sluice.Pipelines.Tests;

/// <summary>Allocation is measured process-wide, so these tests run alone.</summary>
[CollectionDefinition(nameof(RuntimeGuaranteeTests), DisableParallelization = true)]
public sealed class SerialCollection { }

[Collection(nameof(RuntimeGuaranteeTests))]
public class RuntimeGuaranteeTests
{
    [Fact]
    public async Task Payload_bytes_in_flight_never_exceed_the_memory_limit_however_large_the_input()
    {
        const int rows = 4_000, size = 256 * 1024;          // 1 GiB of payloads in all
        const long limit = 8L << 20;                        // through an 8 MiB budget
        var input = Enumerable.Range(0, rows).Select(i => new Chunk(i, size));
        var output = new List<ChunkSum>();
        var result = await Payloads.Create(new PipelineOptions { MemoryLimit = limit, Workers = 2 })
            .RunAsync(Source.From(input), Sink.To(output));

        Assert.Equal(RunStatus.Completed, result.Status);
        Assert.Equal(rows - rows / 5, output.Count);
        Assert.All(output, r => Assert.Equal((long)(r.Id % 251) * size, r.Sum));
        Assert.InRange(result.Metrics.PeakBytesInFlight, size, limit);
        Assert.True(result.Metrics.PeakBytesInFlight * 100 < (long)rows * size, "the budget was not exercised");
        // Every payload was released: those of filtered rows too.
        Assert.Equal(0, result.Metrics.BytesInFlight);
    }

    [Fact]
    public async Task A_payload_larger_than_the_whole_budget_fails_its_row_not_the_run()
    {
        var input = new[] { new Chunk(1, 1024), new Chunk(2, 4 << 20), new Chunk(3, 1024) };
        var result = await Payloads.Create(new PipelineOptions { MemoryLimit = 1 << 20 })
            .RunAsync(Source.From(input), Sink.Null<ChunkSum>());
        Assert.Equal(1, result.RowsFailed);
        Assert.Equal(2, result.RowsWritten);
        var failure = Assert.Single(result.FailureSamples);
        Assert.Equal("Bytes", failure.Stage);
        Assert.Contains("larger than the whole memory limit", failure.Message);
    }

    [Fact]
    public async Task Value_type_columns_allocate_nothing_per_row_in_steady_state()
    {
        static long AllocatedFor(Numbers[] input, Sum[] output)
        {
            var pipeline = Arithmetic.Create(new PipelineOptions { Workers = 1 });
            long before = GC.GetTotalAllocatedBytes(precise: true);
            pipeline.RunAsync(Source.From(input), new ArraySink(output)).GetAwaiter().GetResult();
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        var small = Enumerable.Range(0, 100_000).Select(i => new Numbers(i, i)).ToArray();
        var large = Enumerable.Range(0, 1_000_000).Select(i => new Numbers(i, i)).ToArray();
        var output = new Sum[large.Length];
        AllocatedFor(small, output); // warm up the JIT
        long a = AllocatedFor(small, output);
        long b = AllocatedFor(large, output);
        double perRow = (double)(b - a) / (large.Length - small.Length);
        Assert.True(perRow < 1.0, $"{perRow:F3} bytes allocated per row (runs: {a:N0} and {b:N0} bytes)");
    }

    /// <summary>Copies output rows into a preallocated array: a sink that allocates nothing per row.</summary>
    private sealed class ArraySink(Sum[] target) : ISink<Sum>, ISinkWriter<Sum>
    {
        private int _next;
        public string Description => "array";
        public ISinkWriter<Sum> Open(SinkContext<Sum> context) { _next = 0; return this; }
        public ValueTask WriteAsync(ReadOnlyMemory<Sum> rows, CancellationToken cancellationToken)
        {
            rows.Span.CopyTo(target.AsSpan(_next));
            _next += rows.Length;
            return ValueTask.CompletedTask;
        }
        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
