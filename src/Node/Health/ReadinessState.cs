namespace ActorService.Node.Health;

/// <summary>
/// Whether this node should get traffic: joined the cluster (member Up), resources open, and not draining.
/// Draining is one-way and is set at the very first moment of a shutdown, whatever triggered it.
/// </summary>
public sealed class ReadinessState
{
    private volatile bool _memberUp, _resourcesOpen, _draining;

    public bool IsReady => _memberUp && _resourcesOpen && !_draining;
    public bool IsDraining => _draining;

    public string Reason =>
        _draining ? "draining" : !_resourcesOpen ? "resources not open" : !_memberUp ? "not yet a cluster member" : "ready";

    public void MarkMemberUp() => _memberUp = true;
    public void MarkMemberGone() => _memberUp = false;
    public void MarkResourcesOpen() => _resourcesOpen = true;

    /// <returns>true the first time only.</returns>
    public bool MarkDraining()
    {
        if (_draining) return false;
        _draining = true;
        return true;
    }
}
