namespace Sluice.Benchmarks;

/// <summary>One sensor reading (Fahrenheit). A struct so rows cost no allocation anywhere.</summary>
public readonly record struct Reading(int Sensor, double Value);

/// <summary>What every variant of the benchmark pipeline produces per surviving row.</summary>
public readonly record struct Summary(int Sensor, double Scaled, int Bucket, int Hash);

/// <summary>
/// The five per-row computations, written once so every variant (hand-written loop, Sluice, TPL
/// Dataflow, Channels) computes exactly the same thing. They are tiny static methods: the JIT inlines them.
/// </summary>
public static class Formulas
{
    public static double Celsius(double value) => (value - 32) * 5 / 9;

    public static double Scaled(double celsius, int sensor) => celsius * 1.5 + sensor;

    /// <summary>Drops readings below freezing: about 10% of the generated input.</summary>
    public static bool Warm(double celsius) => celsius >= 0;

    public static int Bucket(double scaled) => (int)(scaled / 10);

    public static int Hash(int bucket, int sensor)
    {
        uint h = unchecked((uint)bucket * 0x9E3779B1u ^ (uint)sensor);
        h ^= h >> 15;
        h = unchecked(h * 0x85EBCA6Bu);
        h ^= h >> 13;
        h = unchecked(h * 0xC2B2AE35u);
        h ^= h >> 16;
        return unchecked((int)h);
    }
}

/// <summary>The benchmark pipeline as a Sluice user writes it: five synchronous stages, fused by the generator into one loop.</summary>
[Pipeline(typeof(Reading), typeof(Summary))]
public static partial class SensorPipeline
{
    [Stage] static double Celsius(double value) => Formulas.Celsius(value);

    [Stage] static double Scaled(double celsius, int sensor) => Formulas.Scaled(celsius, sensor);

    [Filter] static bool Warm(double celsius) => Formulas.Warm(celsius);

    [Stage] static int Bucket(double scaled) => Formulas.Bucket(scaled);

    [Stage] static int Hash(int bucket, int sensor) => Formulas.Hash(bucket, sensor);
}

/// <summary>Input data and result checks shared by the suites.</summary>
public static class Readings
{
    /// <summary>Deterministic readings: sensors 0..999, values uniform in [0, 320) °F, so 10% are below freezing.</summary>
    public static Reading[] Make(int count, int seed = 42)
    {
        var random = new Random(seed);
        var rows = new Reading[count];
        for (int i = 0; i < rows.Length; i++) rows[i] = new Reading(random.Next(1000), random.NextDouble() * 320);
        return rows;
    }

    /// <summary>An order-independent checksum of the first <paramref name="count"/> rows (worker counts above 1 reorder rows).</summary>
    public static long Checksum(ReadOnlySpan<Summary> rows)
    {
        long sum = 0;
        foreach (var r in rows) sum += r.Hash ^ ((long)r.Bucket << 32) ^ ((long)r.Sensor << 20) ^ BitConverter.DoubleToInt64Bits(r.Scaled);
        return sum;
    }

    /// <summary>Throws unless a variant produced the same rows (as a multiset) as the reference.</summary>
    public static void Verify(string variant, int expectedCount, long expectedChecksum, int count, ReadOnlySpan<Summary> output)
    {
        if (count != expectedCount)
            throw new InvalidOperationException($"{variant} produced {count} rows, the reference {expectedCount}.");
        long checksum = Checksum(output[..count]);
        if (checksum != expectedChecksum)
            throw new InvalidOperationException($"{variant} produced different rows (checksum {checksum:X}, reference {expectedChecksum:X}).");
    }
}

/// <summary>
/// A sink that puts output rows into a preallocated array: no per-row or per-chunk allocation, so
/// the benchmark measures the pipeline, not a growing list. It implements <see cref="IDirectSinkWriter{T}"/>,
/// so the runtime builds the rows straight into the array (as the hand-written loop does). One run at a time.
/// </summary>
public sealed class ArraySink<T>(T[] target) : ISink<T>, ISinkWriter<T>, IDirectSinkWriter<T>
{
    public Span<T> GetSpan(int count) => target.AsSpan(_count, count);

    public void Advance(int count) => _count += count;

    private int _count;

    /// <summary>Rows written by the last run.</summary>
    public int Count => _count;

    public string Description => "preallocated array";

    public ISinkWriter<T> Open(SinkContext<T> context)
    {
        _count = 0;
        return this;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<T> rows, CancellationToken cancellationToken)
    {
        // The runtime calls the sink writer from one task, so no synchronisation is needed.
        rows.Span.CopyTo(target.AsSpan(_count));
        _count += rows.Length;
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
