namespace ActorService.Cluster.Tests;

/// <summary>
/// Every line every node of a cluster logged, read from the log files of its data folder: restarted nodes' earlier
/// lives included (node1.log, node1.2.log, …), since what a drain said is in the life that drained.
/// </summary>
public static class ClusterLogs
{
    /// <summary>The lines, each with its log's name without the extension (node1, node1.2).</summary>
    public static IEnumerable<(string Log, string Line)> Lines(string clusterWorkDir) =>
        Directory.GetFiles(Path.Combine(clusterWorkDir, "data"), "*.log")
            .SelectMany(file => File.ReadLines(file).Select(line => (Path.GetFileNameWithoutExtension(file), line)));
}
