namespace Sluice.Benchmarks;

/// <summary>
/// Shows whether Sluice's allocations are per run or per row: runs the fusion pipeline over inputs of
/// different sizes and prints the bytes allocated per run (all threads). A per-run fixed cost stays
/// flat as rows grow; a per-row cost grows with them. Not a BenchmarkDotNet suite:
/// <c>dotnet run -c Release --project benchmarks/Sluice.Benchmarks -- --alloc-per-run</c>.
/// </summary>
public static class AllocationProbe
{
    public static void Run()
    {
        Console.WriteLine($"{"rows",10} {"workers",8} {"morsel",8} {"bytes/run",12} {"bytes/row",10}");
        foreach (int rows in new[] { 100_000, 1_000_000, 4_000_000 })
        {
            var input = Readings.Make(rows);
            var sink = new ArraySink<Summary>(new Summary[rows]);
            var source = Source.From(input);
            foreach (var (workers, morsel) in new[] { (1, 1024), (2, 1024), (1, 16384) })
            {
                var pipeline = SensorPipeline.Create(new PipelineOptions { Workers = workers, MorselSize = morsel });
                for (int i = 0; i < 5; i++) pipeline.RunAsync(source, sink).GetAwaiter().GetResult();   // warm up (JIT, tiering)
                const int Runs = 10;
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < Runs; i++) pipeline.RunAsync(source, sink).GetAwaiter().GetResult();
                long perRun = (GC.GetTotalAllocatedBytes(precise: true) - before) / Runs;
                Console.WriteLine($"{rows,10} {workers,8} {morsel,8} {perRun,12} {(double)perRun / rows,10:F3}");
            }
        }
    }
}
