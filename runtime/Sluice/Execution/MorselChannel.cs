using System.Threading.Channels;

namespace Sluice;

/// <summary>
/// A bounded queue of morsels between two segments. Writers wait while it is full (backpressure).
/// Completes when every producer has said it is done.
/// </summary>
internal abstract class MorselChannel
{
    private int _producers;

    protected MorselChannel(int producers) => _producers = producers;

    public abstract int Count { get; }
    public abstract ValueTask WriteAsync(Morsel morsel, CancellationToken cancellationToken);
    public abstract ValueTask<Morsel?> ReadAsync(CancellationToken cancellationToken);
    protected abstract void Complete();

    /// <summary>Blocking write for dedicated CPU worker threads.</summary>
    public void Write(Morsel morsel, CancellationToken cancellationToken)
    {
        var t = WriteAsync(morsel, cancellationToken);
        if (!t.IsCompletedSuccessfully) t.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Blocking read for dedicated CPU worker threads; null when the channel is complete.</summary>
    public Morsel? Read(CancellationToken cancellationToken)
    {
        var t = ReadAsync(cancellationToken);
        return t.IsCompletedSuccessfully ? t.Result : t.AsTask().GetAwaiter().GetResult();
    }

    public void AddProducer() => Interlocked.Increment(ref _producers);

    public void ProducerDone()
    {
        if (Interlocked.Decrement(ref _producers) == 0) Complete();
    }

    public static MorselChannel Create(bool ordered, int capacity, int producers) =>
        ordered ? new Ordered(capacity, producers) : new Unordered(capacity, producers);

    private sealed class Unordered(int capacity, int producers) : MorselChannel(producers)
    {
        private readonly Channel<Morsel> _channel = Channel.CreateBounded<Morsel>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });

        public override int Count => _channel.Reader.Count;

        public override ValueTask WriteAsync(Morsel morsel, CancellationToken cancellationToken)
        {
            if (morsel.Count == 0) { morsel.Release(); return ValueTask.CompletedTask; }
            return _channel.Writer.TryWrite(morsel) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(morsel, cancellationToken);
        }

        public override async ValueTask<Morsel?> ReadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                if (_channel.Reader.TryRead(out var m)) return m;
                if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            }
        }

        protected override void Complete() => _channel.Writer.TryComplete();
    }

    /// <summary>
    /// Restores (Sequence, Part) order: morsels that arrive early wait in a reorder buffer bounded by
    /// the capacity, except the one expected next, which always gets in (so the buffer cannot deadlock).
    /// Readers receive morsels renumbered 0, 1, 2… as single-part morsels.
    /// </summary>
    private sealed class Ordered : MorselChannel
    {
        private readonly object _lock = new();
        private readonly Dictionary<(long, int), Morsel> _pending = new();
        private readonly Channel<Morsel> _ready;
        private readonly int _capacity;
        private long _expectedSequence;
        private int _expectedPart;
        private long _nextOut;
        private bool _completed;
        private bool _pumping;
        private TaskCompletionSource _changed = NewSignal();

        public Ordered(int capacity, int producers) : base(producers)
        {
            _capacity = capacity;
            _ready = Channel.CreateBounded<Morsel>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        }

        public override int Count { get { lock (_lock) return _pending.Count + _ready.Reader.Count; } }

        public override async ValueTask WriteAsync(Morsel morsel, CancellationToken cancellationToken)
        {
            while (true)
            {
                Task wait;
                lock (_lock)
                {
                    bool expected = morsel.Sequence == _expectedSequence && morsel.Part == _expectedPart;
                    if (expected || _pending.Count < _capacity)
                    {
                        _pending.Add((morsel.Sequence, morsel.Part), morsel);
                        if (!expected || _pumping) return;
                        _pumping = true;
                    }
                    else
                    {
                        wait = _changed.Task;
                        goto Wait;
                    }
                }
                await PumpAsync(cancellationToken).ConfigureAwait(false);
                return;
            Wait:
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        // Moves the expected morsels into the ready queue in order. Only one writer pumps at a time.
        private async ValueTask PumpAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                Morsel? next;
                TaskCompletionSource signal;
                bool finish = false;
                lock (_lock)
                {
                    if (!_pending.Remove((_expectedSequence, _expectedPart), out next))
                    {
                        _pumping = false;
                        finish = _completed && _pending.Count == 0;
                        if (!finish) return;
                    }
                    else
                    {
                        if (next.LastPart) { _expectedSequence++; _expectedPart = 0; }
                        else _expectedPart++;
                        // Empty morsels only advance the order; they get no number downstream.
                        if (next.Count > 0) next.Sequence = _nextOut++;
                        next.Part = 0;
                        next.LastPart = true;
                    }
                    signal = _changed;
                    _changed = NewSignal();
                }
                signal.TrySetResult();
                if (finish) { _ready.Writer.TryComplete(); return; }
                if (next!.Count == 0) { next.Release(); continue; }
                await _ready.Writer.WriteAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }

        public override async ValueTask<Morsel?> ReadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                if (_ready.Reader.TryRead(out var m)) return m;
                if (!await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            }
        }

        protected override void Complete()
        {
            lock (_lock)
            {
                _completed = true;
                if (_pumping) return;
                if (_pending.Count > 0)
                    throw new InvalidOperationException($"Ordered channel completed with {_pending.Count} morsels out of order (expected {_expectedSequence}/{_expectedPart}).");
            }
            _ready.Writer.TryComplete();
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
