namespace ActorService.Node.Http;

/// <summary>
/// Counts accepted requests and, once closed, refuses new ones. The counter is raised before the closed flag is
/// read, so a request racing <see cref="Close"/> is either refused or counted, never lost between the two; the drain
/// waits for the count to reach zero. Each accepted request's cancellation token is linked to
/// <see cref="DeadlineToken"/>, which fires when the request deadline passes.
/// </summary>
public sealed class IntakeGate
{
    private readonly CancellationTokenSource _deadline = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private long _accepted, _refused;
    private volatile bool _closed;

    public bool IsClosed => _closed;
    public int InFlight => Volatile.Read(ref _inFlight);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Refused => Interlocked.Read(ref _refused);
    public CancellationToken DeadlineToken => _deadline.Token;

    /// <summary>Completes when the gate is closed and no accepted request is left.</summary>
    public Task Drained => _drained.Task;

    public bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_closed)
        {
            Leave();
            Interlocked.Increment(ref _refused);
            return false;
        }
        Interlocked.Increment(ref _accepted);
        return true;
    }

    public void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _closed) _drained.TrySetResult();
    }

    public void Close()
    {
        _closed = true;
        if (InFlight == 0) _drained.TrySetResult();
    }

    /// <summary>The request deadline passed: cancel every accepted request still running.</summary>
    public void CancelRemaining() => _deadline.Cancel();
}
