using ActorService.Actors;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// How many account shards (and entities in them) this node hosts, asked of the local shard region every
/// <c>actor-service.metrics.shard-poll-interval</c>. A gauge callback must not block on an Ask, so the exporter reads the
/// last answer; <c>GetShardRegionStats</c> is cheap (one count per shard, no entity ids).
/// </summary>
internal sealed class ShardStats(ActorSystem system, IRequiredActor<AccountRegion> region, ILogger<ShardStats> logger) : BackgroundService
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);
    private volatile Snapshot _last = new(0, 0, 0, DateTimeOffset.MinValue, []);

    /// <summary>One answer of the region: shards hosted here (and their ids), entities in them, shards that did not answer in time.</summary>
    public sealed record Snapshot(int Shards, long Entities, int Unresponsive, DateTimeOffset At, IReadOnlyList<string> ShardIds);

    public Snapshot Last => _last;

    /// <summary>Asks the region now; on failure (the region is gone during a drain, or busy) the last answer stays.</summary>
    public async Task<Snapshot> RefreshAsync(CancellationToken ct)
    {
        try
        {
            var target = await region.GetAsync(ct);
            var stats = await target.Ask<ShardRegionStats>(GetShardRegionStats.Instance, AskTimeout, ct);
            return _last = new Snapshot(stats.Stats.Count, stats.Stats.Values.Sum(v => (long)v), stats.Failed.Count, DateTimeOffset.UtcNow,
                stats.Stats.Keys.Order(StringComparer.Ordinal).ToList());
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            logger.LogDebug("Shard region stats not available: {Error}", e.Message);
            return _last;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = system.Settings.Config.GetTimeSpan("actor-service.metrics.shard-poll-interval", TimeSpan.FromSeconds(5));
        using var timer = new PeriodicTimer(every);
        try
        {
            do await RefreshAsync(stoppingToken);
            while (!system.WhenTerminated.IsCompleted && await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stopping
        }
    }
}
