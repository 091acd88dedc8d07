using Akka.Cluster.Sharding;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Maps an account id to one of a fixed number of shards (<c>actor-service.accounts.shard-count</c>, 100 by default).
/// The hash is Akka's MurmurHash of the id, stable across processes and versions. Shards, not entities, are the unit
/// of hand-off and rebalancing; the count must never change while any node of the cluster runs, because two nodes with
/// different counts would place the same account in two shards.
/// </summary>
public sealed class AccountMessageExtractor(int shardCount) : HashCodeMessageExtractor(shardCount)
{
    public override string? EntityId(object message) => message switch
    {
        IAccountMessage m => m.AccountId,
        _ => null,
    };
}
