using BenchmarkDotNet.Attributes;
using ImageClassification;
using Sluice.Media;

namespace Sluice.Benchmarks;

/// <summary>
/// ImageNet evaluation preprocessing of <see cref="Images"/> real-photograph crops (made in setup by the
/// ImageClassification sample's corpus builder, without corrupt files): the generated <see cref="Preprocess"/>
/// pipeline against its limit, the same read + libjpeg-turbo decode (shrink on load) + resize + crop +
/// normalise in a plain Parallel.For with one preallocated tensor per thread, and the peer a .NET user would
/// pick, NetVips (<see cref="NetVipsPreprocess"/>) in the same Parallel.For. Same files, same run.
/// </summary>
[MemoryDiagnoser]
public class PreprocessBenchmarks
{
    public const int Images = 400;

    private string _dir = "";
    private ImageRow[] _rows = [];
    private string[] _paths = [];
    private double[] _rawChecksums = [];
    private TensorRow[] _output = [];
    private ArraySink<TensorRow> _sink = null!;
    private Pipeline<ImageRow, TensorRow> _sluice = null!;

    [ThreadStatic] private static float[]? t_tensor;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"sluice-preprocess-{Environment.ProcessId}");
        var entries = CorpusBuilder.Build(new CorpusOptions { Count = Images, Output = _dir, Seed = 42, CorruptFraction = 0 });
        _paths = entries.Select(e => Path.Combine(_dir, e.Url)).ToArray();
        _rows = entries.Select(e => new ImageRow(Path.Combine(_dir, e.Url), e.Label)).ToArray();
        _rawChecksums = new double[Images];
        _output = new TensorRow[Images];
        _sink = new ArraySink<TensorRow>(_output);
        _sluice = Preprocess.Create();   // default options: one worker per core

        // Both variants must see every image and compute the same tensors.
        int raw = RawLimit(), sluice = Sluice(), vips = NetVips();
        if (raw != Images || sluice != Images || vips != Images)
            throw new InvalidOperationException($"RawLimit processed {raw}, Sluice {sluice} and NetVips {vips} of {Images} images.");
        var expected = _rawChecksums.Order().ToArray();
        var actual = _output.Select(r => r.Checksum).Order().ToArray();
        if (!expected.SequenceEqual(actual))
            throw new InvalidOperationException("Sluice's tensors differ from RawLimit's (checksums do not match).");
        // NetVips resamples with its own kernels: its tensors must be close to the others', not equal.
        double diff = NetVipsDifference(_paths.Take(20));
        Console.WriteLine($"// NetVips vs RawLimit tensors: mean absolute difference {diff:F4} (normalized units) over 20 images");
        if (diff > 0.1) throw new InvalidOperationException($"NetVips's tensors are not the same images (mean absolute difference {diff:F3}).");
    }

    /// <summary>The mean absolute difference between NetVips's tensors and RawLimit's over <paramref name="paths"/>.</summary>
    internal static double NetVipsDifference(IEnumerable<string> paths)
    {
        var ours = new float[Preprocess.TensorLength];
        var vips = new float[Preprocess.TensorLength];
        double sum = 0;
        long count = 0;
        foreach (var path in paths)
        {
            using (var image = Image.Decode(File.ReadAllBytes(path), shrinkTo: Preprocess.Resize)) Preprocess.ToTensor(image, ours);
            NetVipsPreprocess.ToTensor(path, vips);
            for (int i = 0; i < ours.Length; i++) sum += Math.Abs(ours[i] - vips[i]);
            count += ours.Length;
        }
        return sum / count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The raw libjpeg-turbo decode of the same files plus the same resize in a plain parallel loop.</summary>
    [Benchmark(Baseline = true)]
    public int RawLimit()
    {
        int count = 0;
        Parallel.For(0, _paths.Length, i =>
        {
            var tensor = t_tensor ??= new float[Preprocess.TensorLength];
            using var image = Image.Decode(File.ReadAllBytes(_paths[i]), shrinkTo: Preprocess.Resize);
            Preprocess.ToTensor(image, tensor);
            _rawChecksums[i] = Preprocess.Sum(tensor);
            Interlocked.Increment(ref count);
        });
        return count;
    }

    /// <summary>NetVips (libvips 8.18) doing the same preprocessing in the same Parallel.For, with its defaults.</summary>
    [Benchmark]
    public int NetVips()
    {
        int count = 0;
        Parallel.For(0, _paths.Length, i =>
        {
            var tensor = t_tensor ??= new float[Preprocess.TensorLength];
            NetVipsPreprocess.ToTensor(_paths[i], tensor);
            Interlocked.Increment(ref count);
        });
        return count;
    }

    /// <summary>The generated pipeline with default options (one worker per core) into an array sink.</summary>
    [Benchmark]
    public int Sluice()
    {
        _sluice.RunAsync(Source.From(_rows), _sink).GetAwaiter().GetResult();
        return _sink.Count;
    }
}
