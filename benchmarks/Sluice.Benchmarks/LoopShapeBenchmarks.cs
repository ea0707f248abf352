using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace Sluice.Benchmarks;

/// <summary>
/// What the fused loop's shape costs, one thread, no channels: hand-made copies of the loop the
/// generator emits for <see cref="SensorPipeline"/> (obj/.../generated/*.g.cs) over copies of its
/// morsel columns, each with one ingredient changed. Baseline: the loop as emitted today. The input is
/// 1,000,000 rows already in 1024-row morsels, so loading and unloading are not measured here.
/// These are copies, not the generated code itself: FusionBenchmarks measures the real thing.
/// </summary>
[MemoryDiagnoser]
public class LoopShapeBenchmarks
{
    public const int Rows = 1_000_000;
    private const int MorselRows = 1024;

    private Reading[] _input = [];
    private Summary[] _rows = [];
    private InputColumns[] _morsels = [];
    private OutputColumns _out = null!;
    private int[] _originIndex = [];
    private long[] _stageTicks = new long[5];

    /// <summary>The columns of the generated __Boundary0 (input record copied as Origin).</summary>
    public sealed class InputColumns(int capacity)
    {
        public int Count;
        public readonly Reading[] Origin = new Reading[capacity];
        public readonly int[] Sensor = new int[capacity];
        public readonly double[] Value = new double[capacity];
    }

    /// <summary>The columns of the generated __Boundary1.</summary>
    public sealed class OutputColumns(int capacity)
    {
        public int Count;
        public readonly int Capacity = capacity;
        public readonly Reading[] Origin = new Reading[capacity];
        public readonly int[] Sensor = new int[capacity];
        public readonly double[] Scaled = new double[capacity];
        public readonly int[] Bucket = new int[capacity];
        public readonly int[] Hash = new int[capacity];
    }

    [GlobalSetup]
    public void Setup()
    {
        _input = Readings.Make(Rows);
        _rows = new Summary[Rows];
        _morsels = new InputColumns[(Rows + MorselRows - 1) / MorselRows];
        for (int m = 0; m < _morsels.Length; m++)
        {
            var morsel = _morsels[m] = new InputColumns(MorselRows);
            var rows = _input.AsSpan(m * MorselRows, Math.Min(MorselRows, Rows - m * MorselRows));
            for (int i = 0; i < rows.Length; i++)
            {
                morsel.Origin[i] = rows[i];
                morsel.Sensor[i] = rows[i].Sensor;
                morsel.Value[i] = rows[i].Value;
            }
            morsel.Count = rows.Length;
        }
        _out = new OutputColumns(MorselRows);
        _originIndex = new int[MorselRows];

        int expected = HandWrittenLoop();
        foreach (var (name, run) in new (string, Func<int>)[]
                 {
                     (nameof(AsEmitted), AsEmitted), (nameof(AsEmitted_StageTimingEvery16thMorsel), AsEmitted_StageTimingEvery16thMorsel),
                     (nameof(NoPerStageTry), NoPerStageTry), (nameof(NoOriginCopy), NoOriginCopy), (nameof(Proposed), Proposed),
                 })
        {
            int count = run();
            if (count != expected) throw new InvalidOperationException($"{name} kept {count} rows, the hand-written loop {expected}.");
        }
    }

    /// <summary>For scale: the single loop over the record array from FusionBenchmarks.</summary>
    [Benchmark]
    public int HandWrittenLoop()
    {
        var input = _input;
        var output = _rows;
        int n = 0;
        for (int i = 0; i < input.Length; i++)
        {
            var r = input[i];
            double celsius = Formulas.Celsius(r.Value);
            double scaled = Formulas.Scaled(celsius, r.Sensor);
            if (!Formulas.Warm(celsius)) continue;
            int bucket = Formulas.Bucket(scaled);
            output[n++] = new Summary(r.Sensor, scaled, bucket, Formulas.Hash(bucket, r.Sensor));
        }
        return n;
    }

    /// <summary>The emitted loop (Profiling.Off): a try/catch per stage, Origin copied, output Count bumped through the field per row.</summary>
    [Benchmark(Baseline = true)]
    public int AsEmitted()
    {
        int kept = 0;
        foreach (var m in _morsels)
        {
            _out.Count = 0;
            kept += AsEmittedLoop<Profiling.Off>(m, _out, _stageTicks);
        }
        return kept;
    }

    /// <summary>What the runtime runs: the emitted loop, with per-stage timestamps on every 16th morsel (Executor.CpuWorker).</summary>
    [Benchmark]
    public int AsEmitted_StageTimingEvery16thMorsel()
    {
        int kept = 0;
        for (int k = 0; k < _morsels.Length; k++)
        {
            _out.Count = 0;
            kept += (k & 15) == 0 ? AsEmittedLoop<Profiling.On>(_morsels[k], _out, _stageTicks) : AsEmittedLoop<Profiling.Off>(_morsels[k], _out, _stageTicks);
        }
        return kept;
    }

    /// <summary>The emitted loop without any try/catch: what exception handling inside the loop costs.</summary>
    [Benchmark]
    public int NoPerStageTry()
    {
        int kept = 0;
        foreach (var m in _morsels)
        {
            _out.Count = 0;
            kept += NoTryLoop(m, _out);
        }
        return kept;
    }

    /// <summary>The emitted loop without copying the 16-byte input record (Origin) into every output row.</summary>
    [Benchmark]
    public int NoOriginCopy()
    {
        int kept = 0;
        foreach (var m in _morsels)
        {
            _out.Count = 0;
            kept += NoOriginLoop(m, _out);
        }
        return kept;
    }

    /// <summary>
    /// The proposed shape: columns as spans sliced to Count (no bounds checks), the output count in a
    /// local, one try around the loop that resumes after a failing row, and an int origin index.
    /// </summary>
    [Benchmark]
    public int Proposed()
    {
        int kept = 0;
        foreach (var m in _morsels)
        {
            _out.Count = 0;
            kept += ProposedLoop(m, _out, _originIndex);
        }
        return kept;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RowFailed(int position, Exception error, InputColumns input, int row) =>
        throw new InvalidOperationException($"stage {position} failed on row {row}", error);

    // Copied from the generated __Segment0.Run<TProfile>, names shortened; Flush replaced by a throw (the output morsel never fills here).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int AsEmittedLoop<TProfile>(InputColumns input, OutputColumns o, long[] stageTicks) where TProfile : struct
    {
        long t = typeof(TProfile) == typeof(Profiling.On) ? Stopwatch.GetTimestamp() : 0L;
        int n = input.Count;
        for (int i = 0; i < n; i++)
        {
            var value = input.Value[i];
            double celsius;
            try { celsius = Formulas.Celsius(value); }
            catch (Exception e) { RowFailed(0, e, input, i); continue; }
            if (typeof(TProfile) == typeof(Profiling.On)) { long now = Stopwatch.GetTimestamp(); stageTicks[0] += now - t; t = now; }
            var sensor = input.Sensor[i];
            double scaled;
            try { scaled = Formulas.Scaled(celsius, sensor); }
            catch (Exception e) { RowFailed(1, e, input, i); continue; }
            if (typeof(TProfile) == typeof(Profiling.On)) { long now = Stopwatch.GetTimestamp(); stageTicks[1] += now - t; t = now; }
            bool keep;
            try { keep = Formulas.Warm(celsius); }
            catch (Exception e) { RowFailed(2, e, input, i); keep = false; }
            if (typeof(TProfile) == typeof(Profiling.On)) { long now = Stopwatch.GetTimestamp(); stageTicks[2] += now - t; t = now; }
            if (!keep) continue;
            int bucket;
            try { bucket = Formulas.Bucket(scaled); }
            catch (Exception e) { RowFailed(3, e, input, i); continue; }
            if (typeof(TProfile) == typeof(Profiling.On)) { long now = Stopwatch.GetTimestamp(); stageTicks[3] += now - t; t = now; }
            int hash;
            try { hash = Formulas.Hash(bucket, sensor); }
            catch (Exception e) { RowFailed(4, e, input, i); continue; }
            if (typeof(TProfile) == typeof(Profiling.On)) { long now = Stopwatch.GetTimestamp(); stageTicks[4] += now - t; t = now; }
            if (o.Count == o.Capacity) throw new InvalidOperationException("output morsel full");
            int j = o.Count++;
            o.Origin[j] = input.Origin[i];
            o.Sensor[j] = sensor;
            o.Scaled[j] = scaled;
            o.Bucket[j] = bucket;
            o.Hash[j] = hash;
        }
        return o.Count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NoTryLoop(InputColumns input, OutputColumns o)
    {
        int n = input.Count;
        for (int i = 0; i < n; i++)
        {
            double celsius = Formulas.Celsius(input.Value[i]);
            var sensor = input.Sensor[i];
            double scaled = Formulas.Scaled(celsius, sensor);
            if (!Formulas.Warm(celsius)) continue;
            int bucket = Formulas.Bucket(scaled);
            int hash = Formulas.Hash(bucket, sensor);
            if (o.Count == o.Capacity) throw new InvalidOperationException("output morsel full");
            int j = o.Count++;
            o.Origin[j] = input.Origin[i];
            o.Sensor[j] = sensor;
            o.Scaled[j] = scaled;
            o.Bucket[j] = bucket;
            o.Hash[j] = hash;
        }
        return o.Count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NoOriginLoop(InputColumns input, OutputColumns o)
    {
        int n = input.Count;
        for (int i = 0; i < n; i++)
        {
            double celsius;
            try { celsius = Formulas.Celsius(input.Value[i]); }
            catch (Exception e) { RowFailed(0, e, input, i); continue; }
            var sensor = input.Sensor[i];
            double scaled;
            try { scaled = Formulas.Scaled(celsius, sensor); }
            catch (Exception e) { RowFailed(1, e, input, i); continue; }
            bool keep;
            try { keep = Formulas.Warm(celsius); }
            catch (Exception e) { RowFailed(2, e, input, i); keep = false; }
            if (!keep) continue;
            int bucket;
            try { bucket = Formulas.Bucket(scaled); }
            catch (Exception e) { RowFailed(3, e, input, i); continue; }
            int hash;
            try { hash = Formulas.Hash(bucket, sensor); }
            catch (Exception e) { RowFailed(4, e, input, i); continue; }
            if (o.Count == o.Capacity) throw new InvalidOperationException("output morsel full");
            int j = o.Count++;
            o.Sensor[j] = sensor;
            o.Scaled[j] = scaled;
            o.Bucket[j] = bucket;
            o.Hash[j] = hash;
        }
        return o.Count;
    }

    // One try per morsel, not per stage: on a throw, the failing row is reported and the loop resumes
    // after it. (Which stage threw would be kept in a field of the worker, set by a slow path only.)
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ProposedLoop(InputColumns input, OutputColumns o, int[] originIndex)
    {
        int i = 0;
        int j = o.Count;
        while (true)
        {
            try
            {
                i = ProposedBody(input, o, originIndex, i, ref j);
                break;
            }
            catch (Exception e)
            {
                RowFailed(-1, e, input, i);
                i++;
            }
        }
        o.Count = j;
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ProposedBody(InputColumns input, OutputColumns o, int[] originIndex, int start, ref int count)
    {
        var value = input.Value.AsSpan(0, input.Count);
        var sensor = input.Sensor.AsSpan(0, value.Length);
        var outSensor = o.Sensor.AsSpan();
        var outScaled = o.Scaled.AsSpan(0, outSensor.Length);
        var outBucket = o.Bucket.AsSpan(0, outSensor.Length);
        var outHash = o.Hash.AsSpan(0, outSensor.Length);
        var outOrigin = originIndex.AsSpan(0, outSensor.Length);
        int j = count;
        for (int i = start; i < value.Length; i++)
        {
            double celsius = Formulas.Celsius(value[i]);
            int s = sensor[i];
            double scaled = Formulas.Scaled(celsius, s);
            if (!Formulas.Warm(celsius)) continue;
            int bucket = Formulas.Bucket(scaled);
            int hash = Formulas.Hash(bucket, s);
            if ((uint)j >= (uint)outSensor.Length) throw new InvalidOperationException("output morsel full");
            outOrigin[j] = i;
            outSensor[j] = s;
            outScaled[j] = scaled;
            outBucket[j] = bucket;
            outHash[j] = hash;
            j++;
        }
        count = j;
        return value.Length;
    }
}
