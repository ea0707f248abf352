using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// Sluice against the two pipelines a .NET programmer would otherwise write for the same five stages:
/// TPL Dataflow (the baseline: one block per stage, parallel where safe, bounded, unordered) and
/// System.Threading.Channels (one bounded channel and one task per stage). Same input, same output
/// array, same run. Each invocation processes <see cref="Rows"/> input rows.
/// </summary>
[MemoryDiagnoser]
public class PeerBenchmarks
{
    public const int Rows = 1_000_000;

    // Rows queued per block or channel: enough to keep every stage busy, bounded as in a real pipeline.
    private const int Capacity = 1024;

    private Reading[] _input = [];
    private Summary[] _output = [];
    private ArraySink<Summary> _sink = null!;
    private ISource<Reading> _source = null!;
    private Pipeline<Reading, Summary> _sluice = null!;

    [GlobalSetup]
    public void Setup()
    {
        _input = Readings.Make(Rows);
        _output = new Summary[Rows];
        _sink = new ArraySink<Summary>(_output);
        _source = Source.From(_input);
        _sluice = SensorPipeline.Create();   // default options: one worker per core

        // Reference rows from a plain loop; every variant must produce the same multiset.
        int count = 0;
        foreach (var r in _input)
        {
            double celsius = Formulas.Celsius(r.Value);
            double scaled = Formulas.Scaled(celsius, r.Sensor);
            if (!Formulas.Warm(celsius)) continue;
            int bucket = Formulas.Bucket(scaled);
            _output[count++] = new Summary(r.Sensor, scaled, bucket, Formulas.Hash(bucket, r.Sensor));
        }
        long checksum = Readings.Checksum(_output.AsSpan(0, count));
        Readings.Verify(nameof(Dataflow), count, checksum, Dataflow(), _output);
        Readings.Verify(nameof(Channels), count, checksum, Channels(), _output);
        Readings.Verify(nameof(Sluice), count, checksum, Sluice(), _output);
    }

    /// <summary>
    /// One TransformBlock per stage, the filter as a predicate on the link (rejected rows go to a
    /// NullTarget through the negated predicate), all stages parallel (they are pure) and unordered; the sink block writes the output
    /// array and runs one message at a time because the write index is shared.
    /// </summary>
    [Benchmark(Baseline = true)]
    public int Dataflow() => DataflowAsync().GetAwaiter().GetResult();

    private async Task<int> DataflowAsync()
    {
        var parallel = new ExecutionDataflowBlockOptions
        {
            BoundedCapacity = Capacity,
            EnsureOrdered = false,
            MaxDegreeOfParallelism = Environment.ProcessorCount,
        };
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var output = _output;
        int count = 0;

        var celsius = new TransformBlock<Reading, (int Sensor, double Celsius)>(
            r => (r.Sensor, Formulas.Celsius(r.Value)), parallel);
        var scaled = new TransformBlock<(int Sensor, double Celsius), (int Sensor, double Celsius, double Scaled)>(
            r => (r.Sensor, r.Celsius, Formulas.Scaled(r.Celsius, r.Sensor)), parallel);
        var bucket = new TransformBlock<(int Sensor, double Celsius, double Scaled), (int Sensor, double Scaled, int Bucket)>(
            r => (r.Sensor, r.Scaled, Formulas.Bucket(r.Scaled)), parallel);
        var hash = new TransformBlock<(int Sensor, double Scaled, int Bucket), Summary>(
            r => new Summary(r.Sensor, r.Scaled, r.Bucket, Formulas.Hash(r.Bucket, r.Sensor)), parallel);
        var sink = new ActionBlock<Summary>(
            s => output[count++] = s,
            new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity, MaxDegreeOfParallelism = 1 });

        celsius.LinkTo(scaled, link);
        scaled.LinkTo(bucket, link, r => Formulas.Warm(r.Celsius));
        // The reject link needs the negated predicate: a plain NullTarget link would also swallow the
        // rows that the bounded bucket block postpones while it is full.
        scaled.LinkTo(DataflowBlock.NullTarget<(int Sensor, double Celsius, double Scaled)>(), r => !Formulas.Warm(r.Celsius));
        bucket.LinkTo(hash, link);
        hash.LinkTo(sink, link);

        foreach (var r in _input)
            await celsius.SendAsync(r).ConfigureAwait(false);
        celsius.Complete();
        await sink.Completion.ConfigureAwait(false);
        return count;
    }

    /// <summary>One bounded channel in front of each stage, one task per stage reading it and writing the next.</summary>
    [Benchmark]
    public int Channels() => ChannelsAsync().GetAwaiter().GetResult();

    private async Task<int> ChannelsAsync()
    {
        var toCelsius = Bounded<Reading>();
        var toScaled = Bounded<(int Sensor, double Celsius)>();
        var toWarm = Bounded<(int Sensor, double Celsius, double Scaled)>();
        var toBucket = Bounded<(int Sensor, double Scaled)>();
        var toHash = Bounded<(int Sensor, double Scaled, int Bucket)>();
        var output = _output;
        int count = 0;

        var stages = new[]
        {
            Task.Run(() => Map(toCelsius.Reader, toScaled.Writer, r => (r.Sensor, Formulas.Celsius(r.Value)))),
            Task.Run(() => Map(toScaled.Reader, toWarm.Writer, r => (r.Sensor, r.Celsius, Formulas.Scaled(r.Celsius, r.Sensor)))),
            Task.Run(async () =>
            {
                await foreach (var r in toWarm.Reader.ReadAllAsync().ConfigureAwait(false))
                    if (Formulas.Warm(r.Celsius)) await toBucket.Writer.WriteAsync((r.Sensor, r.Scaled)).ConfigureAwait(false);
                toBucket.Writer.Complete();
            }),
            Task.Run(() => Map(toBucket.Reader, toHash.Writer, r => (r.Sensor, r.Scaled, Formulas.Bucket(r.Scaled)))),
            Task.Run(async () =>
            {
                await foreach (var r in toHash.Reader.ReadAllAsync().ConfigureAwait(false))
                    output[count++] = new Summary(r.Sensor, r.Scaled, r.Bucket, Formulas.Hash(r.Bucket, r.Sensor));
            }),
        };

        foreach (var r in _input)
            await toCelsius.Writer.WriteAsync(r).ConfigureAwait(false);
        toCelsius.Writer.Complete();
        await Task.WhenAll(stages).ConfigureAwait(false);
        return count;

        static Channel<T> Bounded<T>() => Channel.CreateBounded<T>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

        static async Task Map<TIn, TOut>(ChannelReader<TIn> input, ChannelWriter<TOut> output, Func<TIn, TOut> stage)
        {
            await foreach (var r in input.ReadAllAsync().ConfigureAwait(false))
                await output.WriteAsync(stage(r)).ConfigureAwait(false);
            output.Complete();
        }
    }

    /// <summary>The generated pipeline with default options (one worker per core).</summary>
    [Benchmark]
    public int Sluice()
    {
        _sluice.RunAsync(_source, _sink).GetAwaiter().GetResult();
        return _sink.Count;
    }
}
