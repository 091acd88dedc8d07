using System.Globalization;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// The end of every fault spec (issue 13): stop the load, check the whole history against the database, write the
/// fault's row of docs/faults.md (sent, applied, not applied, unknown, stale reads, lost, doubled, recovery time) to
/// the figures, and assert that no answer lied: nothing acknowledged lost, nothing doubled, no stale read, every
/// answer consistent with the ledger.
/// </summary>
internal static class FaultRun
{
    /// <param name="faultAt">When the fault began (a load mark).</param>
    /// <param name="steadyUntil">The end of the window recovery is measured in: the next disruptive step (a restart of the
    /// node that went away is its own event), or null for the end of the load.</param>
    public static async Task<HistoryReport> FinishAsync(ClusterScenario s, string title, TimeSpan faultAt, TimeSpan? steadyUntil, IEnumerable<string> notes)
    {
        await s.Load.StopAsync();
        var load = new LoadReport(s.Load.Scheduled);
        var recovery = load.RecoveryAfter(faultAt, steadyUntil ?? s.Load.Now);
        var history = await s.CheckHistoryAsync();
        var row = history.TableRow() + $" {(recovery is { } r ? r.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s" : "not recovered")} |";
        ClusterFigures.Write(title,
        [
            "table: " + HistoryReport.TableHeader.Split('\n')[0] + " recovery |",
            "row: " + row,
            load.Summary(),
            $"storage: {s.Cluster.Storage} (the heading's database names the suite's default, not this spec's)",
            .. notes,
            $"client: {s.Load.Options.Client}",
            .. load.Events(s.Load.Marks),
            history.ToString(),
            .. load.Failed.Take(10).Select(LoadReport.Describe),
        ]);

        Assert.True(history.Lost == 0, $"acknowledged writes lost: {history}\n{s.Context()}");
        Assert.True(history.Doubled == 0, $"writes doubled: {history}\n{s.Context()}");
        Assert.True(history.StaleReads == 0, $"stale reads: {history}\n{s.Context()}");
        Assert.True(history.Ok, $"answers inconsistent with the ledger: {history}\n{s.Context()}");
        return history;
    }

    /// <summary>Waits for a node to exit (a downed node drains and exits by itself) and returns its exit code.</summary>
    public static async Task<int> ExitCodeAsync(ClusterScenario s, int i, TimeSpan within, string why)
    {
        var node = s.Cluster[i];
        try { return await node.WaitForExitAsync(within); }
        catch (TimeoutException) { throw new Xunit.Sdk.XunitException($"{node.Name} did not exit within {within.TotalSeconds} s ({why})\n{s.Context()}"); }
    }
}
