using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// How close the generator's fused loop comes to the loop a programmer would write by hand.
/// Baseline: the five computations in one single-threaded for-loop over the input array, writing
/// into a preallocated output array. Sluice runs the same stages from an in-memory source to a
/// sink that copies into a preallocated array. Each invocation processes <see cref="Rows"/> input rows.
/// </summary>
[MemoryDiagnoser]
public class FusionBenchmarks
{
    public const int Rows = 1_000_000;

    private Reading[] _input = [];
    private Summary[] _output = [];
    private ArraySink<Summary> _sink = null!;
    private ISource<Reading> _source = null!;
    private Pipeline<Reading, Summary> _oneWorker = null!;
    private Pipeline<Reading, Summary> _oneWorkerBigMorsels = null!;
    private Pipeline<Reading, Summary> _twoWorkers = null!;

    /// <summary>The tuned morsel size: 16x the default, so 16x fewer channel hops and per-morsel costs per row.</summary>
    public const int TunedMorselSize = 16_384;

    [GlobalSetup]
    public void Setup()
    {
        _input = Readings.Make(Rows);
        _output = new Summary[Rows];
        _sink = new ArraySink<Summary>(_output);
        _source = Source.From(_input);
        _oneWorker = SensorPipeline.Create(new PipelineOptions { Workers = 1 });
        _oneWorkerBigMorsels = SensorPipeline.Create(new PipelineOptions { Workers = 1, MorselSize = TunedMorselSize });
        _twoWorkers = SensorPipeline.Create(new PipelineOptions { Workers = 2 });

        // Every variant must produce the reference rows, or its time means nothing.
        int count = HandWrittenLoop();
        long checksum = Readings.Checksum(_output.AsSpan(0, count));
        Readings.Verify(nameof(Sluice_1Worker), count, checksum, Sluice_1Worker(), _output);
        Readings.Verify(nameof(Sluice_1Worker_Morsel16K), count, checksum, Sluice_1Worker_Morsel16K(), _output);
        Readings.Verify(nameof(Sluice_2Workers), count, checksum, Sluice_2Workers(), _output);
    }

    /// <summary>The honest best case: one thread, one loop, locals in registers, no framework.</summary>
    [Benchmark(Baseline = true)]
    public int HandWrittenLoop()
    {
        var input = _input;
        var output = _output;
        int n = 0;
        for (int i = 0; i < input.Length; i++)
        {
            var r = input[i];
            double celsius = Formulas.Celsius(r.Value);
            double scaled = Formulas.Scaled(celsius, r.Sensor);
            if (!Formulas.Warm(celsius)) continue;
            int bucket = Formulas.Bucket(scaled);
            int hash = Formulas.Hash(bucket, r.Sensor);
            output[n++] = new Summary(r.Sensor, scaled, bucket, hash);
        }
        return n;
    }

    [Benchmark]
    public int Sluice_1Worker() => Run(_oneWorker);

    /// <summary>One worker with <see cref="TunedMorselSize"/>-row morsels (PipelineOptions tuned in the benchmark).</summary>
    [Benchmark]
    public int Sluice_1Worker_Morsel16K() => Run(_oneWorkerBigMorsels);

    /// <summary>Reported for scale; the 0.9x target compares one worker with the single-threaded loop.</summary>
    [Benchmark]
    public int Sluice_2Workers() => Run(_twoWorkers);

    private int Run(Pipeline<Reading, Summary> pipeline)
    {
        pipeline.RunAsync(_source, _sink).GetAwaiter().GetResult();
        return _sink.Count;
    }
}
