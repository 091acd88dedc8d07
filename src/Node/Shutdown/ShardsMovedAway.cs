using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace ActorService.Node.Shutdown;

/// <summary>How waiting for this node's shards to move away ended: the shards hosted at the start and at the end, and why it stopped.</summary>
internal sealed record ShardMoveOutcome(int AtStart, int Left, TimeSpan Took, string Why);

/// <summary>
/// The drain's wait for the shard coordinator to move this node's shards away a few at a time (announced by the
/// announce-draining step; src/Actors/Accounts/Placement), so that the region's own hand-off, which moves whatever is
/// left all at once, finds little or nothing. Asks the local region how many shards it hosts, every
/// <see cref="PollInterval"/>, until none is left, no other member is Up to take them (a node alone), none moved for
/// <see cref="StallWindow"/> (every node drains at once, or the coordinator is away), or the deadline.
/// </summary>
internal static class ShardsMovedAway
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A round moves its shards in well under a second (rebalance-interval 250 ms plus the hand-offs).</summary>
    public static readonly TimeSpan StallWindow = TimeSpan.FromMilliseconds(1500);

    /// <summary>How many shards the local region hosts now.</summary>
    public static async Task<int> HostedAsync(IActorRef region) =>
        (await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout)).Shards.Count;

    public static async Task<ShardMoveOutcome> WaitAsync(IActorRef region, Cluster cluster, TimeSpan deadline)
    {
        var took = Stopwatch.StartNew();
        int? atStart = null;
        var fewest = int.MaxValue;
        var lastMove = TimeSpan.Zero;
        while (true)
        {
            var hosted = await HostedAsync(region);
            atStart ??= hosted;
            if (hosted < fewest) (fewest, lastMove) = (hosted, took.Elapsed);
            var why = hosted == 0 ? "none left"
                : !cluster.State.Members.Any(m => m.Status == MemberStatus.Up && !m.Address.Equals(cluster.SelfAddress)) ? "no other member is up to take them"
                : took.Elapsed >= deadline ? $"the deadline of {deadline.TotalSeconds:0.#} s passed"
                : took.Elapsed - lastMove >= StallWindow ? $"none moved for {StallWindow.TotalSeconds:0.#} s"
                : null;
            if (why is not null) return new ShardMoveOutcome(atStart.Value, hosted, took.Elapsed, why);
            await Task.Delay(PollInterval);
        }
    }
}
