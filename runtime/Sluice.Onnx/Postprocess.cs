using System.Numerics.Tensors;

namespace Sluice.Onnx;

/// <summary>
/// What common models' outputs need before they are an answer: softmax and top-k for a classifier's logits,
/// mean pooling over the tokens of a text encoder's hidden states, and L2 normalization of an embedding.
/// Spans in, spans out, no allocation; vectorized with <see cref="TensorPrimitives"/>.
/// </summary>
public static class Postprocess
{
    /// <summary>Softmax of <paramref name="logits"/> into <paramref name="probabilities"/> (same length; may be the same span), stable for large logits.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (probabilities.Length != logits.Length)
            throw new ArgumentException($"{logits.Length} logits need {logits.Length} probabilities, not {probabilities.Length}.", nameof(probabilities));
        if (logits.IsEmpty) return;
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        float sum = TensorPrimitives.Sum(probabilities);
        TensorPrimitives.Divide(probabilities, sum, probabilities);
    }

    /// <summary>
    /// The <c>classes.Length</c> largest of <paramref name="logits"/>, most likely first, with their softmax
    /// probabilities over all the logits (<paramref name="softmax"/> = true, as torch.softmax then torch.topk) or
    /// the logits themselves. Ties keep the lower index first. NaN logits never rank.
    /// </summary>
    public static void TopK(ReadOnlySpan<float> logits, Span<int> classes, Span<float> scores, bool softmax = true)
    {
        int k = classes.Length;
        if (scores.Length != k) throw new ArgumentException($"{k} classes need {k} scores, not {scores.Length}.", nameof(scores));
        if (k > logits.Length) throw new ArgumentException($"Top {k} of {logits.Length} logits: k is larger than the logits.", nameof(classes));
        if (k == 0) return;
        classes.Fill(-1);
        scores.Fill(float.NegativeInfinity);
        int filled = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            float v = logits[c];
            if (float.IsNaN(v) || (filled == k && v <= scores[k - 1])) continue;
            int j = filled < k ? filled++ : k - 1;
            while (j > 0 && scores[j - 1] < v)
            {
                scores[j] = scores[j - 1];
                classes[j] = classes[j - 1];
                j--;
            }
            scores[j] = v;
            classes[j] = c;
        }
        if (!softmax) return;
        float max = TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        for (int j = 0; j < filled; j++) scores[j] = (float)(Math.Exp(scores[j] - max) / sum);
    }

    /// <summary>The <paramref name="k"/> most likely classes of <paramref name="logits"/> and their softmax probabilities, as new arrays (see <see cref="TopK(ReadOnlySpan{float}, Span{int}, Span{float}, bool)"/>).</summary>
    public static (int[] Classes, float[] Scores) TopK(ReadOnlySpan<float> logits, int k, bool softmax = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var classes = new int[k];
        var scores = new float[k];
        TopK(logits, classes, scores, softmax);
        return (classes, scores);
    }

    /// <summary>
    /// Mean pooling of a text encoder's token states: the average of the rows of <paramref name="hidden"/>
    /// (tokens × <c>pooled.Length</c>, row-major) whose <paramref name="attentionMask"/> is non-zero, into
    /// <paramref name="pooled"/>, as sentence-transformers computes it (masked sum over max(mask sum, 1e-9)).
    /// </summary>
    public static void MeanPool(ReadOnlySpan<float> hidden, ReadOnlySpan<long> attentionMask, Span<float> pooled)
    {
        int dim = pooled.Length;
        if (dim == 0) throw new ArgumentException("The pooled vector is empty.", nameof(pooled));
        if (hidden.Length != (long)attentionMask.Length * dim)
            throw new ArgumentException($"{attentionMask.Length} tokens of {dim} values need {(long)attentionMask.Length * dim} hidden values, not {hidden.Length}.", nameof(hidden));
        pooled.Clear();
        float count = 0;
        for (int t = 0; t < attentionMask.Length; t++)
        {
            if (attentionMask[t] == 0) continue;
            TensorPrimitives.Add(pooled, hidden.Slice(t * dim, dim), pooled);
            count += attentionMask[t];
        }
        TensorPrimitives.Divide(pooled, Math.Max(count, 1e-9f), pooled);
    }

    /// <summary>Scales <paramref name="vector"/> to unit L2 norm in place, as torch.nn.functional.normalize: divided by max(‖v‖, <paramref name="epsilon"/>).</summary>
    public static void L2Normalize(Span<float> vector, float epsilon = 1e-12f)
    {
        if (vector.IsEmpty) return;
        float norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, Math.Max(norm, epsilon), vector);
    }

    /// <summary>
    /// L2-normalizes each of the <c>values.Length / dimension</c> rows of <paramref name="values"/> in place
    /// (a batch of embeddings).
    /// </summary>
    public static void L2NormalizeRows(Span<float> values, int dimension, float epsilon = 1e-12f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (values.Length % dimension != 0)
            throw new ArgumentException($"{values.Length} values are not whole rows of {dimension}.", nameof(values));
        for (int i = 0; i < values.Length; i += dimension) L2Normalize(values.Slice(i, dimension), epsilon);
    }
}
