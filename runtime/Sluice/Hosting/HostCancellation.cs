using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// Cancels a hosted run from the caller's token or from SIGINT/SIGTERM (Ctrl-C). The first signal cancels the run
/// cleanly (the rows in flight finish; the output keeps every row written); the second stops it now (the rows in
/// flight are dropped, and the output, dead letters and report close at a whole row, so they agree); a third lets
/// the default handler end the process.
/// </summary>
internal sealed class HostCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration[] _signals;
    private readonly CancellationTokenRegistration _stopNow;
    private int _signalCount;
    private Action? _abandon;
    private bool _abandoned;

    public HostCancellation(CancellationToken cancellationToken, bool handleSignals, CancellationToken stopNow = default)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _signals = handleSignals
            ? [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)]
            : [];
        _stopNow = stopNow.Register(StopNow);
    }

    /// <summary>Cancelled when the run should stop.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Whether a stop was asked for.</summary>
    public bool Requested => _cts.IsCancellationRequested;

    /// <summary>What stops the run now (the run's abandon); set once the run has started.</summary>
    public void OnStopNow(Action abandon)
    {
        bool now;
        lock (_cts) { _abandon = abandon; now = _abandoned; }
        if (now) abandon();
    }

    /// <summary>What the displays say once a stop was asked for.</summary>
    public string Message => Volatile.Read(ref _signalCount) switch
    {
        0 when Volatile.Read(ref _abandoned) => "Stopping now: dropping the rows in flight and closing the output at the last whole row.",
        0 => "Cancelling: finishing the rows in flight and closing the output.",
        1 => "Cancelling: finishing the rows in flight and closing the output (press Ctrl-C again to stop now, dropping them).",
        _ => "Stopping now: dropping the rows in flight and closing the output at the last whole row (Ctrl-C again ends the process).",
    };

    private void OnSignal(PosixSignalContext context)
    {
        int count = Interlocked.Increment(ref _signalCount);
        if (count <= 2)
        {
            context.Cancel = true;  // keep the process alive; the run winds down and the summary follows
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
            if (count == 2) StopNow();
        }
        else
        {
            context.Cancel = false; // the default action: end the process now
        }
    }

    private void StopNow()
    {
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        Action? abandon;
        lock (_cts) { _abandoned = true; abandon = _abandon; }
        abandon?.Invoke();
    }

    public void Dispose()
    {
        _stopNow.Dispose();
        foreach (var s in _signals) s.Dispose();
        _cts.Dispose();
    }
}
