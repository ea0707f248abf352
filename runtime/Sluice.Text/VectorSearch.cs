using System.Numerics.Tensors;

namespace Sluice.Text;

/// <summary>Similarity between embeddings (System.Numerics.Tensors' vectorized primitives).</summary>
public static class Vectors
{
    /// <summary>Cosine similarity of two vectors of one length (1: same direction; 0 for a zero vector).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"The vectors have {a.Length} and {b.Length} values.", nameof(b));
        if (a.IsEmpty) throw new ArgumentException("The vectors are empty.", nameof(a));
        float na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>
    /// The <paramref name="k"/> rows of <paramref name="matrix"/> (rows of <c>query.Length</c> floats, back to back) most
    /// similar to <paramref name="query"/> by cosine, best first: (row, score).
    /// </summary>
    public static (int Row, float Score)[] TopK(ReadOnlySpan<float> query, ReadOnlySpan<float> matrix, int k)
    {
        int dim = query.Length;
        if (dim == 0) throw new ArgumentException("The query is empty.", nameof(query));
        if (matrix.Length % dim != 0) throw new ArgumentException($"{matrix.Length} values are not whole rows of {dim}.", nameof(matrix));
        var top = new TopK<int>(k);
        for (int r = 0, rows = matrix.Length / dim; r < rows; r++) top.Add(Cosine(query, matrix.Slice(r * dim, dim)), r);
        return top.Results().Select(x => (x.Item, x.Score)).ToArray();
    }
}

/// <summary>
/// The <see cref="K"/> best-scoring items of a stream, kept in a min-heap of <see cref="K"/> entries (memory does not grow
/// with the stream): add every candidate, then read <see cref="Results"/>, best first. Ties keep the earlier item.
/// </summary>
public sealed class TopK<T>
{
    private readonly PriorityQueue<(float Score, long Seq, T Item), (float, long)> _heap;
    private long _seq;

    /// <summary>Keeps the best <paramref name="k"/>.</summary>
    public TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
        // Lowest score first; among equal scores the latest first, so it is the one pushed out.
        _heap = new PriorityQueue<(float, long, T), (float, long)>(k + 1, Comparer<(float Score, long Seq)>.Create(
            (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Seq.CompareTo(a.Seq)));
    }

    /// <summary>How many are kept.</summary>
    public int K { get; }

    /// <summary>How many are kept now (up to <see cref="K"/>).</summary>
    public int Count => _heap.Count;

    /// <summary>Offers one candidate; NaN scores are ignored.</summary>
    public void Add(float score, T item)
    {
        if (float.IsNaN(score)) return;
        long seq = _seq++;
        if (_heap.Count < K) { _heap.Enqueue((score, seq, item), (score, seq)); return; }
        _heap.TryPeek(out var worst, out _);
        if (score > worst.Score) _heap.EnqueueDequeue((score, seq, item), (score, seq));
    }

    /// <summary>The kept items, best first.</summary>
    public List<(T Item, float Score)> Results() =>
        _heap.UnorderedItems.Select(e => e.Element).OrderByDescending(e => e.Score).ThenBy(e => e.Seq).Select(e => (e.Item, e.Score)).ToList();
}
