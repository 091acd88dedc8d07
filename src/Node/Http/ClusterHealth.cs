using ActorService.Node.Health;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Http;

/// <summary>
/// Tells a slow entity from a degraded cluster when a request times out: unreachable members or a node on its way
/// out mean "try again shortly" (503 + Retry-After), a healthy cluster means the entity itself was slow (504).
/// </summary>
internal sealed class ClusterHealth(ActorSystem system, ReadinessState readiness)
{
    public bool IsDegraded
    {
        get
        {
            if (readiness.IsDraining) return true;
            var state = Cluster.Get(system).State;
            return state.Unreachable.Count > 0 || state.Members.Any(m => m.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down);
        }
    }
}
