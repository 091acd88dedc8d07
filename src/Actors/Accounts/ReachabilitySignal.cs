using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Whether this node sees any cluster member unreachable. While it does, an entity here may have been superseded by a
/// new activation elsewhere (this node may be the one that is cut off, or was frozen), so entities answer reads only
/// from state the database confirmed after the read arrived, never from memory. One flag per node (an Akka extension),
/// kept up to date by a watcher of the cluster's reachability events: a read pays one volatile field read for it.
/// </summary>
public sealed class ReachabilitySignal : IExtension
{
    private volatile bool _anyUnreachable;

    /// <summary>
    /// True while at least one member is unreachable from this node's point of view, and while the node is fenced after
    /// a pause of its process (<see cref="PauseFence"/>): its peers may have moved its shards meanwhile.
    /// </summary>
    public bool AnyUnreachable => _anyUnreachable || PauseFence.Shared.IsFenced;

    /// <summary>Sets the flag (the watcher; specs).</summary>
    public void Report(bool anyUnreachable) => _anyUnreachable = anyUnreachable;

    /// <summary>The node's signal; the first call starts its watcher (a cluster provider is required).</summary>
    public static ReachabilitySignal For(ActorSystem system) => system.WithExtension<ReachabilitySignal, ReachabilitySignalProvider>();

    /// <summary>Tracks the unreachable members this node knows of (initial state included) and reports whether there are any.</summary>
    internal sealed class Watcher : ReceiveActor
    {
        private readonly HashSet<UniqueAddress> _unreachable = [];

        public Watcher(ReachabilitySignal signal)
        {
            Receive<ClusterEvent.UnreachableMember>(m => Update(signal, () => _unreachable.Add(m.Member.UniqueAddress)));
            Receive<ClusterEvent.ReachableMember>(m => Update(signal, () => _unreachable.Remove(m.Member.UniqueAddress)));
            Receive<ClusterEvent.MemberRemoved>(m => Update(signal, () => _unreachable.Remove(m.Member.UniqueAddress)));
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        }

        private void Update(ReachabilitySignal signal, Func<bool> change)
        {
            change();
            signal.Report(_unreachable.Count > 0);
        }

        protected override void PreStart() =>
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
    }
}

/// <summary>Creates the node's <see cref="ReachabilitySignal"/> and its watcher (a system actor).</summary>
public sealed class ReachabilitySignalProvider : ExtensionIdProvider<ReachabilitySignal>
{
    public override ReachabilitySignal CreateExtension(ExtendedActorSystem system)
    {
        var signal = new ReachabilitySignal();
        system.SystemActorOf(Props.Create(() => new ReachabilitySignal.Watcher(signal)), "reachability-signal");
        return signal;
    }
}
