using Akka.Actor;
using Akka.Cluster;
using Akka.DependencyInjection;
using Akka.Remote;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Whether this node sees any cluster member unreachable. While it does, an entity here may have been superseded by a
/// new activation elsewhere (this node may be the one that is cut off, or was frozen), so entities answer reads only
/// from state the database confirmed after the read arrived, never from memory. One flag per node (an Akka extension),
/// kept up to date by a watcher of the cluster's reachability events: a read pays one volatile field read for it.
/// </summary>
/// <param name="fence">The node's pause fence; none (actor specs) is one that is never started, so never fenced.</param>
public sealed class ReachabilitySignal(PauseFence? fence = null) : IExtension
{
    private volatile bool _anyUnreachable, _recentlyDowned;

    /// <summary>The pause fence this signal consults: the host's, or a never-started one.</summary>
    public PauseFence Fence { get; } = fence ?? new PauseFence();

    /// <summary>
    /// True while at least one member is unreachable from this node's point of view, and while the node is fenced after
    /// a pause of its process (<see cref="PauseFence"/>): its peers may have moved its shards meanwhile.
    /// </summary>
    public bool AnyUnreachable => _anyUnreachable || Fence.IsFenced;

    /// <summary>
    /// True for <c>actor-service.cluster.verify-reads-after-downing</c> after a member was downed and removed. The other
    /// side does not stop with that removal: it downs itself up to a resolver tick later and then drains its in-flight
    /// requests, and a write it commits meanwhile is newer than what an entity activated here after the removal loaded
    /// (a partition spec saw an entity answer version 1 for 10 s after the removed node had committed version 2).
    /// </summary>
    public bool RecentlyDowned => _recentlyDowned;

    /// <summary>Entities answer reads only from state the database confirmed after the read arrived: another activation may exist or have just written.</summary>
    public bool ReadsNeedTheDatabase => AnyUnreachable || _recentlyDowned;

    /// <summary>Sets the flag (the watcher; specs).</summary>
    public void Report(bool anyUnreachable) => _anyUnreachable = anyUnreachable;

    /// <summary>Sets the downed flag (the watcher; specs).</summary>
    public void ReportDowned(bool recentlyDowned) => _recentlyDowned = recentlyDowned;

    /// <summary>The node's signal; the first call starts its watcher (a cluster provider is required).</summary>
    public static ReachabilitySignal For(ActorSystem system) => system.WithExtension<ReachabilitySignal, ReachabilitySignalProvider>();

    /// <summary>
    /// Tracks the unreachable members this node knows of (initial state included) and reports whether there are any.
    /// A member whose remoting connection dropped counts as well, from that moment until it is connected again, reachable,
    /// removed, or <see cref="DroppedFor"/> passed: a process killed with kill -9 closes its sockets at once, seconds
    /// before the failure detector calls it unreachable, and its shards answer nothing from that moment (issue 17 item 4).
    /// </summary>
    internal sealed class Watcher : ReceiveActor, IWithTimers
    {
        /// <summary>By then the failure detector has made its own verdict (unreachable after ~2.5 s).</summary>
        private static readonly TimeSpan DroppedFor = TimeSpan.FromSeconds(5);
        private readonly HashSet<UniqueAddress> _unreachable = [];
        private readonly HashSet<Address> _dropped = [];
        private readonly HashSet<UniqueAddress> _downed = [];
        private sealed record Expire(Address Address);
        private sealed record ExpireDowned(UniqueAddress Member);

        public ITimerScheduler Timers { get; set; } = null!;

        public Watcher(ReachabilitySignal signal)
        {
            var cluster = Cluster.Get(Context.System);
            Receive<ClusterEvent.UnreachableMember>(m => Update(signal, () => _unreachable.Add(m.Member.UniqueAddress)));
            Receive<ClusterEvent.ReachableMember>(m => Update(signal, () => _unreachable.Remove(m.Member.UniqueAddress) | _dropped.Remove(m.Member.Address)));
            var verifyAfterDowning = Context.System.Settings.Config.GetTimeSpan("actor-service.cluster.verify-reads-after-downing", TimeSpan.FromSeconds(20));
            Receive<ClusterEvent.MemberRemoved>(m => Update(signal, () =>
            {
                if (m.PreviousStatus == MemberStatus.Down && verifyAfterDowning > TimeSpan.Zero)
                {
                    _downed.Add(m.Member.UniqueAddress);
                    Timers.StartSingleTimer(m.Member.UniqueAddress, new ExpireDowned(m.Member.UniqueAddress), verifyAfterDowning);
                }
                return _unreachable.Remove(m.Member.UniqueAddress) | _dropped.Remove(m.Member.Address);
            }));
            Receive<ExpireDowned>(e => Update(signal, () => _downed.Remove(e.Member)));
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
            Receive<DisassociatedEvent>(e => Update(signal, () =>
            {
                var member = cluster.State.Members.Any(m => m.Address.Equals(e.RemoteAddress) && m.Status == MemberStatus.Up);
                if (!member || e.RemoteAddress.Equals(cluster.SelfAddress)) return false;
                Timers.StartSingleTimer(e.RemoteAddress, new Expire(e.RemoteAddress), DroppedFor);
                return _dropped.Add(e.RemoteAddress);
            }));
            Receive<AssociatedEvent>(e => Update(signal, () => _dropped.Remove(e.RemoteAddress)));
            Receive<Expire>(e => Update(signal, () => _dropped.Remove(e.Address)));
        }

        private void Update(ReachabilitySignal signal, Func<bool> change)
        {
            change();
            signal.Report(_unreachable.Count > 0 || _dropped.Count > 0);
            signal.ReportDowned(_downed.Count > 0);
        }

        protected override void PreStart()
        {
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
            Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
            Context.System.EventStream.Subscribe(Self, typeof(AssociatedEvent));
        }

        protected override void PostStop()
        {
            Cluster.Get(Context.System).Unsubscribe(Self);
            Context.System.EventStream.Unsubscribe(Self);
        }
    }
}

/// <summary>
/// Creates the node's <see cref="ReachabilitySignal"/> and its watcher (a system actor), with the host's
/// <see cref="PauseFence"/> service, which Akka.Hosting gives the ActorSystem (Akka.DependencyInjection).
/// </summary>
public sealed class ReachabilitySignalProvider : ExtensionIdProvider<ReachabilitySignal>
{
    public override ReachabilitySignal CreateExtension(ExtendedActorSystem system)
    {
        var signal = new ReachabilitySignal(HostsFence(system));
        system.SystemActorOf(Props.Create(() => new ReachabilitySignal.Watcher(signal)), "reachability-signal");
        return signal;
    }

    // A system made without a container (the reachability specs) has no fence: Akka.DependencyInjection would throw.
    private static PauseFence? HostsFence(ExtendedActorSystem system) =>
        system.Settings.Setup.Get<DependencyResolverSetup>().HasValue
            ? DependencyResolver.For(system).Resolver.GetService<PauseFence>()
            : null;
}
