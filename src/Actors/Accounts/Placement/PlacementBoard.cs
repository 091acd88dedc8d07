using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;

namespace ActorService.Actors.Accounts.Placement;

/// <summary>
/// What each node announces about itself to the shard coordinator, wherever that runs: warm (it reported ready) or
/// draining (its drain began). One Distributed Data map, keyed by the member's unique address (a restarted node on the
/// same host and port is a new key, so the old one's "draining" never sticks to it). A node writes only its own entry,
/// to every member at once (<see cref="WriteAll"/>: the coordinator must see a drain within its next rebalance round,
/// not Distributed Data's 2 s gossip); entries of removed members are deleted. An Akka extension: one per node.
/// </summary>
public sealed class PlacementBoard : IExtension
{
    private static readonly LWWDictionaryKey<string, string> Key = new("actor-service-shard-placement");
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(1);
    private const string Warm = "warm", Draining = "draining";

    private readonly Cluster _cluster;
    private readonly IActorRef _replicator;
    private readonly ILoggingAdapter _log;

    private PlacementBoard(ExtendedActorSystem system)
    {
        _cluster = Cluster.Get(system);
        _replicator = DistributedData.Get(system).Replicator;
        _log = Logging.GetLogger(system, typeof(PlacementBoard));
        system.SystemActorOf(Props.Create(() => new Janitor(_replicator)), "placement-board-janitor");
    }

    public static PlacementBoard For(ActorSystem system) => system.WithExtension<PlacementBoard, Provider>();

    /// <summary>This node reported ready: the coordinator may give it shards from now on.</summary>
    public Task AnnounceWarmAsync() => AnnounceAsync(Warm);

    /// <summary>This node's drain began: the coordinator moves its shards away a few at a time and gives it no new ones.</summary>
    public Task AnnounceDrainingAsync() => AnnounceAsync(Draining);

    /// <summary>What every node announced, as this node's replica holds it now (no round trip).</summary>
    public async Task<IReadOnlyDictionary<UniqueAddress, NodeWarmth>> ReadAsync()
    {
        IGetResponse reply;
        try { reply = await _replicator.Ask<IGetResponse>(Dsl.Get(Key, ReadLocal.Instance), ReadTimeout); }
        catch (AskTimeoutException)
        {
            // Every node counts as cold then: shards still get homes (least shards first), only the preferences are lost.
            _log.Warning("The placement board did not answer within {0}; placing shards as if every node were cold", ReadTimeout);
            return new Dictionary<UniqueAddress, NodeWarmth>();
        }
        if (reply is not GetSuccess found) return new Dictionary<UniqueAddress, NodeWarmth>();
        var byKey = found.Get(Key).Entries;
        return _cluster.State.Members.Where(m => byKey.ContainsKey(EntryKey(m.UniqueAddress)))
            .ToDictionary(m => m.UniqueAddress, m => byKey[EntryKey(m.UniqueAddress)] == Draining ? NodeWarmth.Draining : NodeWarmth.Warm);
    }

    private async Task AnnounceAsync(string value)
    {
        var self = _cluster.SelfUniqueAddress;
        var update = Dsl.Update(Key, LWWDictionary<string, string>.Empty, new WriteAll(WriteTimeout), d => d.SetItem(self, EntryKey(self), value));
        // A member that did not answer in time still gets the entry by gossip; the local replica has it at once.
        var reply = await _replicator.Ask<IUpdateResponse>(update, WriteTimeout + WriteTimeout);
        if (reply.IsSuccessful) _log.Info("Announced to the shard coordinator: this node is {0}", value);
        else _log.Warning("Announced to the shard coordinator: this node is {0} (not every member confirmed within {1}; gossip carries it): {2}", value, WriteTimeout, reply);
    }

    private static string EntryKey(UniqueAddress member) => $"{member.Address}#{member.Uid}";

    /// <summary>Deletes a removed member's entry, so the map holds only members (each node does it; deleting twice is harmless).</summary>
    private sealed class Janitor : ReceiveActor
    {
        public Janitor(IActorRef replicator)
        {
            var cluster = Cluster.Get(Context.System);
            Receive<ClusterEvent.MemberRemoved>(m => replicator.Tell(Dsl.Update(Key, LWWDictionary<string, string>.Empty, WriteLocal.Instance,
                d => d.ContainsKey(EntryKey(m.Member.UniqueAddress)) ? d.Remove(cluster.SelfUniqueAddress, EntryKey(m.Member.UniqueAddress)) : d)));
            Receive<IUpdateResponse>(_ => { });
            Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        }

        protected override void PreStart() => Cluster.Get(Context.System).Subscribe(Self, typeof(ClusterEvent.MemberRemoved));
        protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
    }

    private sealed class Provider : ExtensionIdProvider<PlacementBoard>
    {
        public override PlacementBoard CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
