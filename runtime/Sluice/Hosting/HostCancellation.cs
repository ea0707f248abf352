using System.Runtime.InteropServices;

namespace Sluice;

/// <summary>
/// Cancels a hosted run from the caller's token or from SIGINT/SIGTERM (Ctrl-C). The first signal cancels
/// the run cleanly (the output keeps every row written so far); a second one lets the default handler end the process.
/// </summary>
internal sealed class HostCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration[] _signals;
    private int _signalCount;

    public HostCancellation(CancellationToken cancellationToken, bool handleSignals)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _signals = handleSignals
            ? [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)]
            : [];
    }

    /// <summary>Cancelled when the run should stop.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>Whether a stop was asked for.</summary>
    public bool Requested => _cts.IsCancellationRequested;

    /// <summary>What the displays say once a stop was asked for.</summary>
    public string Message => Volatile.Read(ref _signalCount) > 0
        ? "Cancelling: finishing the rows in flight and closing the output (press Ctrl-C again to stop immediately)."
        : "Cancelling: finishing the rows in flight and closing the output.";

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signalCount) == 1)
        {
            context.Cancel = true;  // keep the process alive; the run winds down and the summary follows
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }
        else
        {
            context.Cancel = false; // the default action: end the process now
        }
    }

    public void Dispose()
    {
        foreach (var s in _signals) s.Dispose();
        _cts.Dispose();
    }
}
