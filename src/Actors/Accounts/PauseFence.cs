using System.Diagnostics;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Notices that the whole process stood still (SIGSTOP, a stalled VM, a very long GC pause) and fences the node until
/// its peers confirm it is still a member (issue 17, decision 4 "fencing"). While the process stood still its peers
/// heard nothing: they may have marked it unreachable, downed it and started its shards elsewhere. Until it knows
/// better, a woken node must not report ready, must not answer from the state it holds in memory, and must not take
/// requests; <see cref="IsFenced"/> is what the readiness probe, the HTTP intake and <see cref="ReachabilitySignal"/>
/// (entities verify reads against the database) consult.
/// <para>
/// A dedicated thread ticks every 100 ms on the monotonic clock (which keeps running while the process is stopped). A
/// tick later than <c>after</c> means the process stood still: <see cref="IsFenced"/> turns true and
/// <see cref="Paused"/> is raised (the node then asks its peers, see <c>MembershipConfirmation</c> in the node). A
/// request handled in the first instant after SIGCONT, before the thread has run again, is fenced too: a last tick
/// older than <c>after</c> counts as a pause in progress.
/// </para>
/// One per node: the host's container holds it (a singleton service) and hands it to the readiness probe, the HTTP
/// fence, the membership confirmer and, through Akka.DependencyInjection, the node's <see cref="ReachabilitySignal"/>.
/// It does nothing until <see cref="Start"/>, so a host that never starts it (in-process specs) never sees a fence,
/// and no state is shared between hosts of one process. Disposing it (the container does, when its host is disposed)
/// ends the detector thread, so hosts built and dropped by a test process leave none behind.
/// </summary>
public sealed class PauseFence : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private long _lastTick = Stopwatch.GetTimestamp();
    private long _afterTicks = long.MaxValue;
    private volatile bool _fenced, _disposed;
    private int _started;

    /// <summary>Raised on the detector thread after a pause longer than <c>after</c>, with its length.</summary>
    public event Action<TimeSpan>? Paused;

    /// <summary>True from a pause until <see cref="Lift"/>; also while the detector thread has not run for longer than <c>after</c>.</summary>
    public bool IsFenced =>
        _fenced || Stopwatch.GetTimestamp() - Volatile.Read(ref _lastTick) > Volatile.Read(ref _afterTicks);

    /// <summary>Starts the detector (once per fence): a pause longer than <paramref name="after"/> fences the node.</summary>
    public void Start(TimeSpan after)
    {
        Volatile.Write(ref _lastTick, Stopwatch.GetTimestamp());
        Volatile.Write(ref _afterTicks, (long)(after.TotalSeconds * Stopwatch.Frequency));
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        new Thread(Watch) { IsBackground = true, Name = "pause-fence", Priority = ThreadPriority.AboveNormal }.Start();
    }

    /// <summary>The peers confirmed this node is still a member: it may serve again.</summary>
    public void Lift() => _fenced = false;

    /// <summary>Ends the detector. A detector that no longer ticks must not read as a pause in progress: no more fencing.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _afterTicks, long.MaxValue);
        _disposed = true;
    }

    private void Watch()
    {
        while (!_disposed)
        {
            Thread.Sleep(Tick);
            var now = Stopwatch.GetTimestamp();
            var gap = now - Volatile.Read(ref _lastTick);
            var paused = gap > Volatile.Read(ref _afterTicks);
            if (paused) _fenced = true; // before the new tick: no instant in which neither says "fenced"
            Volatile.Write(ref _lastTick, now);
            if (paused) Paused?.Invoke(TimeSpan.FromSeconds((double)gap / Stopwatch.Frequency));
        }
    }
}
