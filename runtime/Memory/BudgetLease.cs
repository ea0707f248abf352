namespace Sluice;

/// <summary>
/// Bytes taken from the budget of the stage that is running (the ambient <see cref="MemoryBudget.Current"/>),
/// remembered with the segment that took them so they are given back to the same tier. Pooled payload
/// types (<see cref="Blob"/>, <see cref="Tensor"/>) hold one and release it once when disposed.
/// </summary>
internal readonly struct BudgetLease
{
    private readonly MemoryBudget _budget;
    private readonly int _segment;
    private readonly long _bytes;

    private BudgetLease(MemoryBudget budget, int segment, long bytes)
    {
        _budget = budget;
        _segment = segment;
        _bytes = bytes;
    }

    /// <summary>Takes <paramref name="bytes"/> (at least 1), blocking while the budget is spent.</summary>
    public static BudgetLease Acquire(long bytes, CancellationToken cancellationToken)
    {
        var budget = MemoryBudget.Current;
        long charged = Math.Max(bytes, 1);
        budget.Acquire(charged, cancellationToken);
        return new BudgetLease(budget, MemoryBudget.CurrentSegment, charged);
    }

    /// <summary>Takes <paramref name="bytes"/> (at least 1), waiting asynchronously while the budget is spent.</summary>
    public static async ValueTask<BudgetLease> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        var budget = MemoryBudget.Current;
        int segment = MemoryBudget.CurrentSegment;
        long charged = Math.Max(bytes, 1);
        await budget.AcquireAsync(charged, cancellationToken).ConfigureAwait(false);
        return new BudgetLease(budget, segment, charged);
    }

    /// <summary>Gives the bytes back (the owner makes sure this happens once).</summary>
    public void Release() => _budget.Release(_bytes, _segment);
}
