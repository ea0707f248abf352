using System.Buffers;
using System.Numerics;

namespace Sluice;

/// <remarks>
/// Pooled payload memory. Payloads over 64 KiB live in <see cref="NativeBuffer"/>s outside the managed
/// heap, in size classes (four per power of two, at most 25% over the request), and each payload is
/// charged the size of the buffer it really gets. The budget keeps the buffers its payloads gave back
/// (idle buffers) and hands them out again, and it counts them: bytes in flight plus idle bytes never
/// exceed the limit. When a new buffer is needed and idle ones of other sizes would push the total
/// over, it frees those first; freeing gives the pages back to the operating system at once. So the
/// payload memory the process really holds stays under the limit, not only what rows hold. Payloads of
/// 64 KiB and less come from <see cref="ArrayPool{T}.Shared"/> (charged at its power-of-two size).
/// </remarks>
public sealed partial class MemoryBudget
{
    /// <summary>Payloads of at most this many bytes use managed arrays from <see cref="ArrayPool{T}.Shared"/>.</summary>
    internal const int SmallPayloadBytes = 64 * 1024;

    /// <summary>What an unbounded budget keeps idle at most.</summary>
    internal const long UnboundedIdleCap = 256L << 20;

    private readonly Dictionary<long, Stack<NativeBuffer>> _idle = new();
    private long _idleBytes;
    private bool _closed;

    /// <summary>Bytes of idle pooled buffers the budget keeps for reuse.</summary>
    public long Idle => Volatile.Read(ref _idleBytes);

    /// <summary>
    /// The bytes a payload of <paramref name="bytes"/> bytes really takes: a power of two (at least 16) up to
    /// 64 KiB, as <see cref="ArrayPool{T}.Shared"/> rounds; above, four size classes per power of two.
    /// </summary>
    internal static long SizeClass(long bytes)
    {
        if (bytes <= SmallPayloadBytes) return (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(bytes, 16));
        long step = (1L << BitOperations.Log2((ulong)bytes)) / 4;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A buffer of exactly <paramref name="classBytes"/> bytes (a size class over 64 KiB), after its bytes were acquired.</summary>
    internal NativeBuffer TakeBuffer(long classBytes)
    {
        List<NativeBuffer>? freed = null;
        lock (_lock)
        {
            if (_idle.TryGetValue(classBytes, out var stack) && stack.Count > 0)
            {
                _idleBytes -= classBytes;
                return stack.Pop();
            }
            // A new buffer: make room among the idle ones of other sizes first.
            foreach (var other in _idle.Values)
            {
                while (other.Count > 0 && OverIdle())
                {
                    var b = other.Pop();
                    _idleBytes -= b.Bytes;
                    (freed ??= new()).Add(b);
                }
                if (!OverIdle()) break;
            }
        }
        if (freed is not null) foreach (var b in freed) b.Free();
        return NativeBuffer.Allocate(classBytes);
    }

    /// <summary>Takes back a buffer from <see cref="TakeBuffer"/>; called after its bytes were released.</summary>
    internal void ReturnBuffer(NativeBuffer buffer)
    {
        bool kept;
        lock (_lock) kept = TryKeepIdle(buffer);
        if (!kept) buffer.Free();
    }

    /// <summary>Keeps <paramref name="buffer"/> idle if the run is on and in flight + idle stays under the limit (caller holds the lock).</summary>
    private bool TryKeepIdle(NativeBuffer buffer)
    {
        if (_closed || _inFlight + _idleBytes + buffer.Bytes > Limit || _idleBytes + buffer.Bytes > IdleCap) return false;
        if (!_idle.TryGetValue(buffer.Bytes, out var stack)) _idle[buffer.Bytes] = stack = new Stack<NativeBuffer>();
        stack.Push(buffer);
        _idleBytes += buffer.Bytes;
        return true;
    }

    /// <summary>Takes every idle buffer out of the pool (caller holds the lock).</summary>
    private List<NativeBuffer> DrainIdle()
    {
        var drained = new List<NativeBuffer>();
        foreach (var stack in _idle.Values)
            while (stack.Count > 0) drained.Add(stack.Pop());
        _idleBytes = 0;
        return drained;
    }

    /// <summary>What the process keeps between runs at most: a finished run's idle buffers, for the next run.</summary>
    internal const long WarmCap = 256L << 20;

    private static readonly object s_warmLock = new();
    private static List<NativeBuffer> s_warm = new();
    private static long s_warmBytes;

    /// <summary>Bytes of idle buffers kept between runs right now.</summary>
    internal static long Warm
    {
        get { lock (s_warmLock) return s_warmBytes; }
    }

    /// <summary>
    /// A run starts: takes the buffers the last finished run left (counted as this budget's idle
    /// buffers, as far as its limit allows; the rest are freed), so a run of a few hundred images does
    /// not pay a fresh mapping and its page faults for every buffer.
    /// </summary>
    internal void AdoptWarm()
    {
        List<NativeBuffer> taken;
        lock (s_warmLock)
        {
            taken = s_warm;
            s_warm = new();
            s_warmBytes = 0;
        }
        List<NativeBuffer>? excess = null;
        lock (_lock)
        {
            foreach (var b in taken)
                if (!TryKeepIdle(b)) (excess ??= new()).Add(b);
        }
        if (excess is not null) foreach (var b in excess) b.Free();
    }

    /// <summary>
    /// The run is over: its idle buffers go to the process's warm set for the next run (up to
    /// <see cref="WarmCap"/>; the rest are freed), and from now on payload buffers given back are freed
    /// (payloads that outlive the run, in output rows, still count and are still freed).
    /// </summary>
    internal void Close()
    {
        List<NativeBuffer> idle;
        lock (_lock)
        {
            _closed = true;
            idle = DrainIdle();
        }
        var freed = new List<NativeBuffer>();
        lock (s_warmLock)
        {
            foreach (var b in idle)
            {
                if (s_warmBytes + b.Bytes <= WarmCap)
                {
                    s_warm.Add(b);
                    s_warmBytes += b.Bytes;
                }
                else freed.Add(b);
            }
        }
        foreach (var b in freed) b.Free();
    }

    /// <summary>A budget that is collected frees its idle buffers (none of them is in use).</summary>
    ~MemoryBudget() => FreeIdle();

    private void FreeIdle()
    {
        List<NativeBuffer> freed;
        lock (_lock) freed = DrainIdle();
        foreach (var b in freed) b.Free();
    }

    private bool OverIdle() => _inFlight + _idleBytes > Limit || _idleBytes > IdleCap;

    private long IdleCap => Limit == long.MaxValue ? UnboundedIdleCap : Limit;
}
