namespace ActorService.Cluster.Tests;

/// <summary>
/// The shard coordinator's own word that it waited a whole <c>akka.cluster.sharding.updating-state-timeout</c> for a
/// Distributed Data write. While it waits it allocates no shard, so every request for a shard without a home waits
/// with it (5 s, well past the ordinary client's 2 s). Read from every log file of a cluster's data folder, restarted
/// nodes' earlier lives included.
/// </summary>
public static class CoordinatorStalls
{
    // Akka.Cluster.Sharding's DDataShardCoordinator: "The ShardCoordinator was unable to update a distributed state
    // within 'updating-state-timeout'" (and "... unable to update shards distributed state ..." for a shard's home).
    private const string Marker = "ShardCoordinator was unable to update";

    public static IReadOnlyList<string> In(string clusterWorkDir) =>
        ClusterLogs.Lines(clusterWorkDir).Where(l => l.Line.Contains(Marker, StringComparison.Ordinal)).Select(l => $"{l.Log}: {l.Line}").ToList();
}
