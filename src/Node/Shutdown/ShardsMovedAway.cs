using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace ActorService.Node.Shutdown;

/// <summary>
/// How waiting for this node's shards to move away ended: the shards hosted at the start and at the end (null when the
/// region never answered), and why it stopped.
/// </summary>
internal sealed record ShardMoveOutcome(int? AtStart, int? Left, TimeSpan Took, string Why);

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

    /// <summary>
    /// How many shards the local region hosts now, or null when the region did not answer in time. The region asks
    /// each of its shards; under load a shard busy with its mailbox misses the region's query timeout and is listed as
    /// failed, which still means hosted here. A missed answer must not end the wait: it is a poll that saw nothing
    /// (a clean-clone run at load average 14 lost two drains' reports that way).
    /// </summary>
    public static async Task<int?> TryCountHostedAsync(IActorRef region)
    {
        try
        {
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout);
            return stats.Stats.Count + stats.Failed.Count;
        }
        catch (AskTimeoutException) { return null; }
    }

    /// <param name="anotherMemberIsUp">Whether any other member could take the shards (false: a node alone has nowhere to move them).</param>
    /// <summary>Whether a member other than this one is Up.</summary>
    public static bool AnotherMemberIsUp(Cluster cluster) =>
        cluster.State.Members.Any(m => m.Status == MemberStatus.Up && !m.Address.Equals(cluster.SelfAddress));

    public static async Task<ShardMoveOutcome> WaitAsync(IActorRef region, Func<bool> anotherMemberIsUp, TimeSpan deadline)
    {
        var took = Stopwatch.StartNew();
        int? atStart = null, fewest = null;
        var lastMove = TimeSpan.Zero;
        while (true)
        {
            var hosted = await TryCountHostedAsync(region);
            if (hosted is null && took.Elapsed < deadline) continue; // the ask itself waited AskTimeout
            atStart ??= hosted;
            if (hosted < (fewest ?? int.MaxValue)) (fewest, lastMove) = (hosted, took.Elapsed);
            var why = hosted is null ? "the region did not answer before the deadline"
                : hosted == 0 ? "none left"
                : !anotherMemberIsUp() ? "no other member is up to take them"
                : took.Elapsed >= deadline ? $"the deadline of {deadline.TotalSeconds:0.#} s passed"
                : took.Elapsed - lastMove >= StallWindow ? $"none moved for {StallWindow.TotalSeconds:0.#} s"
                : null;
            if (why is not null) return new ShardMoveOutcome(atStart, hosted ?? fewest, took.Elapsed, why);
            await Task.Delay(PollInterval);
        }
    }
}
