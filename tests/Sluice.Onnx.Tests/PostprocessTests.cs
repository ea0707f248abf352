using Sluice.Testing;
using Xunit;

namespace Sluice.Onnx.Tests;

/// <summary>
/// The post-processing helpers against numpy (Debian's python3-numpy) on seeded data: softmax and top-k
/// (as torch.softmax then torch.topk), mean pooling with an attention mask (as sentence-transformers), L2
/// normalization (as torch.nn.functional.normalize).
/// </summary>
public sealed class PostprocessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-post").FullName;

    private const string Reference = """
        import sys, numpy as np
        out = sys.argv[1]
        rng = np.random.default_rng(3)
        # Classifier logits, one row scaled up to 40 so a naive exp would overflow.
        logits = rng.standard_normal((3, 1000)).astype(np.float32)
        logits[1] *= 40
        z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        top = np.argsort(-logits, axis=1, kind="stable")[:, :5]
        topp = np.take_along_axis(probs, top, axis=1)
        # Token states of two sentences, 7 tokens of 16; the first has 4 real tokens.
        hidden = rng.standard_normal((2, 7, 16)).astype(np.float32)
        mask = np.array([[1, 1, 1, 1, 0, 0, 0], [1] * 7], dtype=np.int64)
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        normed = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        for name, a in (("logits", logits), ("probs", probs), ("topp", topp), ("hidden", hidden), ("pooled", pooled), ("normed", normed)):
            a.astype(np.float32).tofile(f"{out}/{name}.f32")
        top.astype(np.int32).tofile(f"{out}/top.i32")
        mask.tofile(f"{out}/mask.i64")
        """;

    public PostprocessTests() =>
        PythonReference.Run(_dir, Reference, "numpy reference failed (python3-numpy comes from scripts/setup-native.sh)", _dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private float[] F(string name) => PythonReference.Floats(Path.Combine(_dir, name + ".f32"));

    private static void Near(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Softmax_and_top_k_match_numpy_also_for_large_logits()
    {
        var logits = F("logits");
        var probs = F("probs");
        var topp = F("topp");
        var top = File.ReadAllBytes(Path.Combine(_dir, "top.i32"));
        var expectedTop = new int[top.Length / 4];
        Buffer.BlockCopy(top, 0, expectedTop, 0, top.Length);
        for (int r = 0; r < 3; r++)
        {
            var row = logits.AsSpan(r * 1000, 1000);
            var p = new float[1000];
            Postprocess.Softmax(row, p);
            Near(probs.AsSpan(r * 1000, 1000), p, 1e-6f);
            Assert.Equal(1.0, p.Sum(), 4);

            var (classes, scores) = Postprocess.TopK(row, 5);
            Assert.Equal(expectedTop.AsSpan(r * 5, 5).ToArray(), classes);
            Near(topp.AsSpan(r * 5, 5), scores, 1e-6f);

            var c = new int[5];
            var s = new float[5];
            Postprocess.TopK(row, c, s, softmax: false);
            Assert.Equal(classes, c);
            for (int j = 0; j < 5; j++) Assert.Equal(row[classes[j]], s[j]);
        }
    }

    [Fact]
    public void Top_k_keeps_the_lower_index_on_ties_and_never_ranks_nan()
    {
        var (classes, _) = Postprocess.TopK([1f, float.NaN, 3f, 3f, 2f], 3, softmax: false);
        Assert.Equal(new[] { 2, 3, 4 }, classes);
        var e = Assert.Throws<ArgumentException>(() => Postprocess.TopK([1f, 2f], 3));
        Assert.Contains("larger than the logits", e.Message);
    }

    [Fact]
    public void Mean_pooling_and_l2_normalization_match_numpy()
    {
        var hidden = F("hidden");
        var pooled = F("pooled");
        var normed = F("normed");
        var maskBytes = File.ReadAllBytes(Path.Combine(_dir, "mask.i64"));
        var mask = new long[maskBytes.Length / 8];
        Buffer.BlockCopy(maskBytes, 0, mask, 0, maskBytes.Length);
        var batch = new float[2 * 16];
        for (int b = 0; b < 2; b++)
        {
            var v = batch.AsSpan(b * 16, 16);
            Postprocess.MeanPool(hidden.AsSpan(b * 7 * 16, 7 * 16), mask.AsSpan(b * 7, 7), v);
            Near(pooled.AsSpan(b * 16, 16), v, 1e-6f);
        }
        var one = batch.AsSpan(0, 16).ToArray();
        Postprocess.L2Normalize(one);
        Near(normed.AsSpan(0, 16), one, 1e-6f);
        Postprocess.L2NormalizeRows(batch, 16);
        Near(normed, batch, 1e-6f);

        // A zero vector stays zero (torch divides by eps), a fully masked sentence pools to zeros.
        var zero = new float[4];
        Postprocess.L2Normalize(zero);
        Assert.All(zero, v => Assert.Equal(0f, v));
        var none = new float[16];
        Postprocess.MeanPool(hidden.AsSpan(0, 7 * 16), new long[7], none);
        Assert.All(none, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => Postprocess.MeanPool(hidden.AsSpan(0, 100), mask.AsSpan(0, 7), none));
    }
}
