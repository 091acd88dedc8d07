using Akka.Cluster;
using Akka.Util;

namespace ActorService.Actors.Accounts.Placement;

/// <summary>What a node announced about itself (<see cref="PlacementBoard"/>); a node that announced nothing is cold.</summary>
public enum NodeWarmth
{
    /// <summary>Joined, but not yet warmed up (or of a release that does not announce): give it shards only if nothing else can take them.</summary>
    Cold,
    /// <summary>Reported ready: its request path, database pool and shard look-ups are warm.</summary>
    Warm,
    /// <summary>Its drain has begun: move its shards away a few at a time while it still serves them; give it none.</summary>
    Draining,
}

/// <summary>One shard region as the coordinator sees it: its member's status and version, what it announced, its shards.</summary>
public sealed record RegionView<TRegion>(TRegion Region, MemberStatus Status, AppVersion Version, NodeWarmth Warmth, IReadOnlyList<string> Shards)
{
    public bool IsUp => Status == MemberStatus.Up;
    public bool IsLeaving => Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed;
}

/// <summary>
/// Where shards go while members change (issue 17 items 2 and 3), as pure decisions over the coordinator's view; the
/// Akka side is <see cref="WarmFirstAllocationStrategy"/>.
/// <list type="bullet">
/// <item>A shard without a home goes to a warm member that is Up, least shards first; a cold one only when no warm one
/// can take it; a draining one only when nothing else is left (a one-node cluster).</item>
/// <item>A draining member's shards move away <c>atOnce</c> at a time, each rebalance round, while it still serves the
/// rest: a shard stalls only for its own hand-off and the coordinator's two writes for it, instead of every shard of the
/// node queueing behind ~66 serialized writes when the region shuts down with all of them at once.</item>
/// <item>Balancing (Akka's least-shard algorithm) waits while any member that is Up is still cold, so a restarted node
/// gets its share only once warm, and then <c>atOnce</c> shards a round, not 20 at a time.</item>
/// </list>
/// </summary>
public static class ShardPlacementRules
{
    /// <summary>The region a shard without a home is given; null only when there is no region at all.</summary>
    public static TRegion? Home<TRegion>(IReadOnlyList<RegionView<TRegion>> regions) where TRegion : class =>
        Best(regions.Where(r => r.IsUp && r.Warmth == NodeWarmth.Warm))
        ?? Best(regions.Where(r => r.IsUp && r.Warmth == NodeWarmth.Cold))
        ?? Best(regions.Where(r => !r.IsLeaving && r.Warmth != NodeWarmth.Draining))
        ?? Best(regions.Where(r => !r.IsLeaving))
        ?? Best(regions);

    /// <summary>
    /// Shards of draining regions to move now: at most <paramref name="atOnce"/> in flight together with
    /// <paramref name="inProgress"/>, and only when some region that is Up and not draining can take them.
    /// </summary>
    public static IReadOnlySet<string> DrainMoves<TRegion>(IReadOnlyList<RegionView<TRegion>> regions, IReadOnlySet<string> inProgress, int atOnce)
    {
        var room = atOnce - inProgress.Count;
        if (room <= 0 || !regions.Any(r => r.IsUp && r.Warmth != NodeWarmth.Draining)) return new HashSet<string>();
        return regions.Where(r => r.Warmth == NodeWarmth.Draining)
            .SelectMany(r => r.Shards)
            .Where(s => !inProgress.Contains(s))
            .Take(room)
            .ToHashSet();
    }

    /// <summary>True while a draining region still hosts shards: balancing waits until they have moved.</summary>
    public static bool AnyDrainingWithShards<TRegion>(IReadOnlyList<RegionView<TRegion>> regions) =>
        regions.Any(r => r.Warmth == NodeWarmth.Draining && r.Shards.Count > 0);

    /// <summary>
    /// The regions the least-shard balance may look at, or null when this is no time to balance: a member that is Up is
    /// still cold (it would get shards before it is warm), or a draining region still has shards (those move first).
    /// Draining regions are left out: an emptied one would look like the least loaded.
    /// </summary>
    public static IReadOnlyList<RegionView<TRegion>>? BalanceAmong<TRegion>(IReadOnlyList<RegionView<TRegion>> regions)
    {
        if (AnyDrainingWithShards(regions) || regions.Any(r => r.IsUp && r.Warmth == NodeWarmth.Cold)) return null;
        return regions.Where(r => r.Warmth == NodeWarmth.Warm).ToList();
    }

    /// <summary>The balance's choice, cut to what may be in flight at once.</summary>
    public static IReadOnlySet<string> Limit(IEnumerable<string> chosen, IReadOnlySet<string> inProgress, int atOnce) =>
        chosen.Where(s => !inProgress.Contains(s)).Take(Math.Max(0, atOnce - inProgress.Count)).ToHashSet();

    // Akka's own preference among candidates: the newest release (a rolling upgrade moves shards forward), then the fewest shards.
    private static TRegion? Best<TRegion>(IEnumerable<RegionView<TRegion>> candidates) where TRegion : class =>
        candidates.OrderByDescending(r => r.Version).ThenBy(r => r.Shards.Count).FirstOrDefault()?.Region;
}
