using System.Globalization;
using System.Text;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>Writes a scenario's measured figures to the test output and to TestResults/cluster-figures.md (the closing note's source).</summary>
public static class ClusterFigures
{
    private static readonly object Gate = new();

    public static void Write(string scenario, IEnumerable<string> lines)
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"## {scenario} ({DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, database: {LocalCluster.Database}, load average {LoadAverage()})");
        foreach (var line in lines) text.AppendLine("- " + line);
        TestContext.Current.TestOutputHelper?.WriteLine(text.ToString());
        Console.WriteLine(text.ToString());
        lock (Gate)
        {
            var dir = Path.Combine(Repo.Root, "TestResults");
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, "cluster-figures.md"), text.AppendLine().ToString());
        }
    }

    /// <summary>The machine's 1-minute load average: the figures are only comparable on a quiet machine.</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
