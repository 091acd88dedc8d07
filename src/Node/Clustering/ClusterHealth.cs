using System.Diagnostics;
using ActorService.Actors.Accounts;
using ActorService.Node.Health;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Clustering;

/// <summary>
/// Whether the cluster is changing, for the request path. It tells a slow entity in a steady cluster (504) from a
/// request caught by a membership change (503 + Retry-After: the shard was moving or its node died), and it makes the
/// gateway re-send unanswered commands sooner while the cluster is unsettled.
/// <para>
/// Unsettled = this node is draining, a member is unreachable or not Up (joining, leaving, exiting, down), or the
/// membership or reachability changed within <c>actor-service.cluster.settle</c>: shards keep moving for a while
/// after a node joined or was removed (hand-offs, reallocation, rebalance rounds).
/// </para>
/// </summary>
internal sealed class ClusterHealth
{
    private readonly ActorSystem _system;
    private readonly ReadinessState _readiness;
    private readonly TimeSpan _settle;
    private long _lastChange = Stopwatch.GetTimestamp();
    private readonly ReachabilitySignal _reachability;

    public ClusterHealth(ActorSystem system, ReadinessState readiness, ClusterTimings timings)
    {
        _system = system;
        _readiness = readiness;
        _settle = timings.Settle;
        _reachability = ReachabilitySignal.For(system);
        system.ActorOf(Props.Create(() => new MembershipWatcher(this)), "cluster-health");
    }

    /// <summary>Unsettled now, or changed within the settle window.</summary>
    public bool IsUnsettled => IsChangingNow || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastChange)) < _settle;

    /// <summary>Unsettled now, or changed at any time since <paramref name="startedTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public bool WasUnsettledSince(long startedTimestamp) => IsUnsettled || Volatile.Read(ref _lastChange) >= startedTimestamp;

    /// <summary>A member is unreachable from this node (or the node is fenced after a pause of its process).</summary>
    public bool AnyUnreachable => _reachability.AnyUnreachable;

    private bool IsChangingNow
    {
        get
        {
            if (_readiness.IsDraining) return true;
            var state = Akka.Cluster.Cluster.Get(_system).State;
            return state.Unreachable.Count > 0 || state.Members.Any(m => m.Status != MemberStatus.Up);
        }
    }

    private void Changed() => Volatile.Write(ref _lastChange, Stopwatch.GetTimestamp());

    /// <summary>Records the time of every membership and reachability event.</summary>
    private sealed class MembershipWatcher : ReceiveActor
    {
        public MembershipWatcher(ClusterHealth health)
        {
            Receive<ClusterEvent.IMemberEvent>(_ => health.Changed());
            Receive<ClusterEvent.IReachabilityEvent>(_ => health.Changed());
            Receive<ClusterEvent.CurrentClusterState>(_ => { });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}

/// <summary><c>actor-service.cluster</c> timings used on the request path.</summary>
internal sealed record ClusterTimings(TimeSpan Settle)
{
    public static ClusterTimings From(Akka.Configuration.Config root) => new(root.GetTimeSpan("actor-service.cluster.settle"));
}
