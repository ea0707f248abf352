using Sluice.Testing;
using Sluice.Onnx;
using Xunit;

namespace Sluice.Onnx.Tests;

/// <summary>
/// ResNet-18 as exported by scripts/setup-models.sh: Sluice.Onnx (ONNX Runtime 1.32.0's managed API) against
/// PyTorch itself (Debian python3-torch, the exported weights) on the same preprocessed inputs.
/// </summary>
public sealed class ResNet18Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-resnet").FullName;

    private const string Reference = """
        import sys, torch, torchvision
        models, out = sys.argv[1], sys.argv[2]
        model = torchvision.models.resnet18(weights=None)
        model.load_state_dict(torch.load(models + "/resnet18.pt"))
        model.eval()
        g = torch.Generator().manual_seed(11)
        x = torch.randn(4, 3, 224, 224, generator=g)
        with torch.no_grad():
            logits = model(x)
        x.numpy().astype("float32").tofile(out + "/x.bin")
        logits.numpy().astype("float32").tofile(out + "/logits.bin")
        """;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The repository's models folder, with resnet18.onnx in it (the test fails with the set-up command otherwise).</summary>
    internal static string ModelsDirectory()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Pipelines.sln"))) dir = Path.GetDirectoryName(dir)!;
        var models = Path.Combine(dir, "models");
        if (!File.Exists(Path.Combine(models, "resnet18.onnx")))
            Assert.Fail("models/resnet18.onnx is missing: run scripts/setup-models.sh (scripts/test.sh does).");
        return models;
    }

    [Fact]
    public void Sluice_logits_match_PyTorch_on_the_same_inputs()
    {
        var models = ModelsDirectory();
        PythonReference.Run(_dir, Reference, "PyTorch reference failed (scripts/setup-models.sh installs python3-torch)", models, _dir);

        var x = PythonReference.Floats(Path.Combine(_dir, "x.bin"));
        var expected = PythonReference.Floats(Path.Combine(_dir, "logits.bin"));
        using var session = OnnxSession.Load(Path.Combine(models, "resnet18.onnx"), new() { IntraOpThreads = 2 });
        Assert.Equal(new long[] { -1, 3, 224, 224 }, session.InputShape(0));
        var logits = new float[4 * 1000];
        session.Run(x, new long[] { 4, 3, 224, 224 }, logits, new long[] { 4, 1000 });

        float maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(logits[i] - expected[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
        }
        // Float32 with different kernels and summation orders: stated tolerance 1e-3 absolute
        // (measured: see the test output), on logits of magnitude up to maxAbs.
        Assert.True(maxDiff < 1e-3f, $"max abs difference {maxDiff} (logits up to {maxAbs})");
        for (int b = 0; b < 4; b++)
            Assert.Equal(ArgMax(expected.AsSpan(b * 1000, 1000)), ArgMax(logits.AsSpan(b * 1000, 1000)));
        Console.WriteLine($"ResNet-18 logits: max abs difference {maxDiff:E2} vs PyTorch (logits up to {maxAbs:F2})");

        // The same images as a pipeline hands them over: four consecutive slots of one batch buffer, run
        // as they lie (no copy) with the same logits.
        var slots = new TensorSlots(4);
        var rows = new Tensor[4];
        TensorSlots.Current = slots;
        try
        {
            for (int b = 0; b < 4; b++)
            {
                rows[b] = Tensor.Rent(3 * 224 * 224);
                x.AsSpan(b * 3 * 224 * 224, 3 * 224 * 224).CopyTo(rows[b].Span);
            }
        }
        finally
        {
            TensorSlots.Current = null;
            slots.SealOpen();
        }
        var batched = new float[4 * 1000];
        session.RunBatch(rows, [3, 224, 224], batched, [1000]);
        foreach (var r in rows) r.Dispose();
        Assert.Equal(0, session.RowsCopied);
        Assert.Equal(logits, batched);
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
