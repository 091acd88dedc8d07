using System.Text.RegularExpressions;

namespace ActorService.Cluster.Tests;

/// <summary>One drain's wait for the coordinator to move its node's shards away (ShutdownPlan's wait-for-shards-moved).</summary>
public sealed record ShardMove(string Node, int Moved, int AtStart, int WaitedMs, int Left, string Why)
{
    public override string ToString() => $"{Node}: the coordinator moved {Moved} of its {AtStart} shards a few at a time (the drain waited {WaitedMs} ms for the last of them), {Left} left for the region's hand-off ({Why})";
}

/// <summary>
/// What each drain's wait-for-shards-moved step logged, from every log file of a cluster's data folder (a restarted
/// node's earlier lives included): how many of its shards the coordinator moved a few at a time before the region's
/// hand-off took the rest all at once.
/// </summary>
public static partial class ShardMoves
{
    public static IReadOnlyList<ShardMove> In(string clusterWorkDir) =>
        ClusterLogs.Lines(clusterWorkDir).Select(l => (l.Log, Match: Line().Match(l.Line))).Where(l => l.Match.Success)
            .Select(l => new ShardMove(l.Log, int.Parse(l.Match.Groups["moved"].Value), int.Parse(l.Match.Groups["start"].Value),
                int.Parse(l.Match.Groups["took"].Value), int.Parse(l.Match.Groups["left"].Value), l.Match.Groups["why"].Value))
            .ToList();

    /// <summary>
    /// The drain's warnings about the shard moves (the count not known, the wait failed, the announcement not made),
    /// prefixed with the log's name: what a drain that reported no <see cref="ShardMove"/> said instead.
    /// </summary>
    public static IReadOnlyList<string> Warnings(string clusterWorkDir) =>
        ClusterLogs.Lines(clusterWorkDir).Where(l => IsWarning(l.Line)).Select(l => $"{l.Log}: {l.Line}").ToList();

    private static bool IsWarning(string line) =>
        line.Contains("Shards moved away by the coordinator: not known", StringComparison.Ordinal)
        || line.Contains("Waiting for the shards to move away failed", StringComparison.Ordinal)
        || line.Contains("Could not announce the drain", StringComparison.Ordinal);

    // "Shards moved away by the coordinator: 33 of 33 since the drain began (6 ms waited here), 0 left for the hand-off (none left)"
    [GeneratedRegex(@"Shards moved away by the coordinator: (?<moved>\d+) of (?<start>\d+) since the drain began \((?<took>\d+) ms waited here\), (?<left>\d+) left for the hand-off \((?<why>.*?)\)(?: <|$)")]
    private static partial Regex Line();
}
