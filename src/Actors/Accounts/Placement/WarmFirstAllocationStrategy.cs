using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace ActorService.Actors.Accounts.Placement;

/// <summary>
/// The account regions' shard allocation strategy: Akka's least-shard strategy, plus what each node announced on the
/// <see cref="PlacementBoard"/> (<see cref="ShardPlacementRules"/> has the decisions). It runs inside the shard
/// coordinator, on the oldest node; <c>akka.cluster.sharding.rebalance-interval</c> is how often it is asked what to move,
/// <c>actor-service.accounts.shard-moves-at-once</c> how many shards may be moving at once.
/// </summary>
public sealed class WarmFirstAllocationStrategy(int movesAtOnce, int balanceAbsoluteLimit, double balanceRelativeLimit) : IActorSystemDependentAllocationStrategy
{
    private static readonly Task<IImmutableSet<string>> Nothing = Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
    private readonly IShardAllocationStrategy _balance = ShardAllocationStrategy.LeastShardAllocationStrategy(balanceAbsoluteLimit, balanceRelativeLimit);
    private Cluster? _cluster;
    private PlacementBoard? _board;

    public void Start(ActorSystem system)
    {
        _cluster = Cluster.Get(system);
        _board = PlacementBoard.For(system);
        if (_balance is IActorSystemDependentAllocationStrategy balance) balance.Start(system);
    }

    public async Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var views = await ViewsAsync(currentShardAllocations);
        // A region whose member this node does not know yet (its view lags by a gossip) falls back to Akka's own choice.
        return ShardPlacementRules.Home(views) ?? await _balance.AllocateShard(requester, shardId, currentShardAllocations);
    }

    public async Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        var views = await ViewsAsync(currentShardAllocations);
        var moving = rebalanceInProgress.ToHashSet();
        if (ShardPlacementRules.AnyDrainingWithShards(views))
            return ShardPlacementRules.DrainMoves(views, moving, movesAtOnce).ToImmutableHashSet();
        if (rebalanceInProgress.Count > 0 || ShardPlacementRules.BalanceAmong(views) is not { } among) return await Nothing;
        var regions = among.Select(v => v.Region).ToHashSet();
        var chosen = await _balance.Rebalance(currentShardAllocations.Where(r => regions.Contains(r.Key)).ToImmutableDictionary(), rebalanceInProgress);
        return ShardPlacementRules.Limit(chosen, moving, movesAtOnce).ToImmutableHashSet();
    }

    private async Task<IReadOnlyList<RegionView<IActorRef>>> ViewsAsync(IImmutableDictionary<IActorRef, IImmutableList<string>> allocations)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("the strategy was not started");
        var announced = await _board!.ReadAsync();
        var members = cluster.State.Members.ToDictionary(m => m.Address);
        var views = new List<RegionView<IActorRef>>(allocations.Count);
        foreach (var (region, shards) in allocations)
        {
            // The coordinator's own node's region has a local path, without an address.
            var address = region.Path.Address.HasLocalScope ? cluster.SelfAddress : region.Path.Address;
            if (!members.TryGetValue(address, out var member)) continue;
            views.Add(new RegionView<IActorRef>(region, member.Status, member.AppVersion,
                announced.GetValueOrDefault(member.UniqueAddress, NodeWarmth.Cold), shards));
        }
        return views;
    }

    public override string ToString() => $"WarmFirstAllocationStrategy(moves at once {movesAtOnce}; balance: {_balance})";
}
