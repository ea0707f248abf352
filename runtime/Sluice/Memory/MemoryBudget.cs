namespace Sluice;

/// <summary>
/// A hard budget in bytes for payload buffers. <see cref="Acquire"/> waits while the budget is spent,
/// so upstream stages slow down instead of the process growing.
/// </summary>
/// <remarks>
/// Deadlock avoidance: a stage that turns one payload into another (download, then decode) needs new
/// bytes while the rows queued in front of it hold the old ones. So the budget is tiered: of the n
/// segments that make payload columns, the k-th (in pipeline order) may fill the budget only up to
/// k/n of the limit, leaving the downstream ones room to drain it; the last may use all of it. The
/// tiers are fixed when the run starts (the generator marks the stages that make payloads). Every
/// grant keeps bytes in flight at or under the limit.
/// </remarks>
public sealed partial class MemoryBudget
{
    private static readonly AsyncLocal<Ambient> s_ambient = new();
    private readonly object _lock = new();
    private readonly List<Waiter> _waiters = new();
    private readonly long[] _bySegment = new long[64];
    private long _inFlight;
    private long _peak;
    private long _acquired;
    private readonly double[] _share = Enumerable.Repeat(1.0, 64).ToArray();

    /// <summary>A budget of <paramref name="limit"/> bytes; null means unbounded (still measured).</summary>
    public MemoryBudget(long? limit)
    {
        if (limit is <= 0) throw new ArgumentOutOfRangeException(nameof(limit), "The memory limit must be positive.");
        Limit = limit ?? long.MaxValue;
    }

    /// <summary>The limit in bytes (<see cref="long.MaxValue"/> when unbounded).</summary>
    public long Limit { get; }

    /// <summary>Payload bytes held right now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most payload bytes ever held at once.</summary>
    public long Peak => Volatile.Read(ref _peak);

    /// <summary>All bytes ever granted (for bytes-per-row estimates).</summary>
    public long TotalAcquired => Volatile.Read(ref _acquired);

    /// <summary>Payload bytes held that were allocated by segment <paramref name="segment"/>.</summary>
    public long InFlightFor(int segment) => (uint)segment < 64 ? Volatile.Read(ref _bySegment[segment]) : 0;

    /// <summary>The budget of the stage running on this thread or async flow (an unbounded one outside a run).</summary>
    public static MemoryBudget Current => s_ambient.Value?.Budget ?? Unbounded;

    internal static int CurrentSegment => s_ambient.Value?.Segment ?? 63;

    /// <summary>A shared unbounded budget for payloads made outside a run.</summary>
    public static MemoryBudget Unbounded { get; } = new(null);

    /// <summary>
    /// Sets the budget for the current worker. <paramref name="beforeWait"/> runs before a synchronous
    /// acquire blocks: a CPU worker sends the finished rows it holds downstream there, so the memory they
    /// hold can drain while it waits.
    /// </summary>
    internal static void Enter(MemoryBudget budget, int segment, Action? beforeWait = null) =>
        s_ambient.Value = new Ambient(budget, Math.Min(segment, 63), beforeWait);

    /// <summary>Takes <paramref name="bytes"/> from the budget, blocking while it is spent.</summary>
    public void Acquire(long bytes, CancellationToken cancellationToken = default)
    {
        var wait = TryAcquireOrQueue(bytes, CurrentSegment, cancellationToken);
        if (wait is null) return;
        s_ambient.Value?.BeforeWait?.Invoke();
        wait.GetAwaiter().GetResult();
    }

    /// <summary>Takes <paramref name="bytes"/> from the budget, waiting asynchronously while it is spent.</summary>
    public ValueTask AcquireAsync(long bytes, CancellationToken cancellationToken = default)
    {
        var wait = TryAcquireOrQueue(bytes, CurrentSegment, cancellationToken);
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait);
    }

    /// <summary>Gives back bytes taken by <see cref="Acquire"/> from segment <paramref name="segment"/>.</summary>
    public void Release(long bytes, int segment)
    {
        lock (_lock)
        {
            _inFlight -= bytes;
            _bySegment[Math.Min(segment, 63)] -= bytes;
            for (int i = 0; i < _waiters.Count; i++)
            {
                var w = _waiters[i];
                if (w.Completion.Task.IsCompleted) { _waiters.RemoveAt(i--); continue; }
                if (!Fits(w.Bytes, w.Segment)) continue;
                _waiters.RemoveAt(i--);
                // Complete first, grant only if that won: a cancellation (a wait's timeout) may complete the waiter
                // on another thread at any moment, and bytes granted to a cancelled wait were never released (the
                // 30-body stress test found 512 KiB left in flight once in several runs).
                if (!w.Completion.TrySetResult()) continue;
                Grant(w.Bytes, w.Segment);
                w.Registration.Dispose();
            }
        }
    }

    private Task? TryAcquireOrQueue(long bytes, int segment, CancellationToken cancellationToken)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        if (bytes > Limit)
            throw new MemoryBudgetExceededException(bytes, Limit);
        lock (_lock)
        {
            // A request that fits is granted even when others wait: the waiters may be upstream
            // tiers that cannot fit until this very caller frees what it holds.
            if (Fits(bytes, segment))
            {
                Grant(bytes, segment);
                return null;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var w = new Waiter(bytes, segment);
            if (cancellationToken.CanBeCanceled)
                w.Registration = cancellationToken.Register(static s => ((Waiter)s!).Completion.TrySetCanceled(), w);
            _waiters.Add(w);
            return w.Completion.Task;
        }
    }

    private bool Fits(long bytes, int segment)
    {
        if (_inFlight == 0) return true;
        if (Limit == long.MaxValue) return true;
        return _inFlight + bytes <= (long)(Limit * _share[segment]);
    }

    /// <summary>Sets the share of the limit a tier may fill (see the remarks). Call before the run starts.</summary>
    internal void SetShare(int segment, double share) => _share[Math.Min(segment, 63)] = share;

    private void Grant(long bytes, int segment)
    {
        _inFlight += bytes;
        _acquired += bytes;
        _bySegment[segment] += bytes;
        if (_inFlight > _peak) _peak = _inFlight;
    }

    private sealed record Ambient(MemoryBudget Budget, int Segment, Action? BeforeWait);

    private sealed class Waiter(long bytes, int segment)
    {
        public long Bytes { get; } = bytes;
        public int Segment { get; } = segment;
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration;
    }
}

/// <summary>Thrown when one payload alone is larger than the whole memory budget.</summary>
public sealed class MemoryBudgetExceededException(long requested, long limit)
    : Exception($"A payload of {requested:N0} bytes is larger than the whole memory limit ({limit:N0} bytes); raise --memory-limit.")
{
    /// <summary>The bytes asked for.</summary>
    public long Requested { get; } = requested;
}

/// <summary>
/// A payload waited for budget until its stage's time ran out (a download's attempt Timeout): the row fails, naming
/// the size asked for and the limit, and what it held goes back, so the other rows go on.
/// </summary>
public sealed class MemoryBudgetWaitException(long requested, long held, long limit, long inFlight, Exception? inner = null)
    : Exception($"waited too long for {requested:N0} more bytes of memory budget (holding {held:N0} for this payload; " +
                $"--memory-limit {limit:N0} bytes, {inFlight:N0} in flight): other payloads hold the budget; raise --memory-limit or lower the stage's MaxConcurrency", inner)
{
    /// <summary>The bytes asked for.</summary>
    public long Requested { get; } = requested;
}
