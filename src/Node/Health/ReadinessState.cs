using ActorService.Actors.Accounts;

namespace ActorService.Node.Health;

/// <summary>
/// Whether this node should get traffic: joined the cluster (member Up), resources open, warmed up (Hosting/WarmUp.cs:
/// its first requests must not pay for cold code, connections and shard look-ups), not draining, and not fenced after a
/// pause.
/// Draining is one-way and is set at the very first moment of a shutdown, whatever triggered it.
/// </summary>
public sealed class ReadinessState(PauseFence fence)
{
    private volatile bool _memberUp, _resourcesOpen, _warmedUp, _draining;
    private readonly Lock _writing = new();
    private long _changes;

    /// <summary>Ready, and not fenced after a pause of the process (<see cref="PauseFence"/>: its membership is unconfirmed).</summary>
    public bool IsReady => _memberUp && _resourcesOpen && _warmedUp && !_draining && !fence.IsFenced;
    public bool IsDraining => _draining;

    /// <summary>How often <see cref="IsReady"/> flipped since start (a start and a drain make 2; more means flapping).</summary>
    public long Changes => Interlocked.Read(ref _changes);

    public string Reason =>
        _draining ? "draining" : !_resourcesOpen ? "resources not open" : !_memberUp ? "not yet a cluster member"
        : !_warmedUp ? "warming up" : fence.IsFenced ? "paused: membership not yet confirmed" : "ready";

    public void MarkMemberUp() => Change(() => _memberUp = true);
    public void MarkMemberGone() => Change(() => _memberUp = false);
    public void MarkResourcesOpen() => Change(() => _resourcesOpen = true);
    /// <summary>The warm-up ran (or ran out of its deadline, or is off): once, and for the process's life.</summary>
    public void MarkWarmedUp() => Change(() => _warmedUp = true);

    /// <returns>true the first time only.</returns>
    public bool MarkDraining()
    {
        if (_draining) return false;
        Change(() => _draining = true);
        return true;
    }

    private void Change(Action set)
    {
        lock (_writing) // the flags stay volatile for readers; writers are serialised so each flip is counted once
        {
            var was = IsReady;
            set();
            if (was != IsReady) Interlocked.Increment(ref _changes);
        }
    }
}
