using System.Diagnostics;

namespace ActorService.TestSupport;

/// <summary>One node's turn in a rolling restart: how it left and how long it took to serve again.</summary>
/// <param name="SigtermAt">When the node got SIGTERM, on the load's clock.</param>
/// <param name="ReadyAt">When the restarted node reported ready, on the load's clock (its cold start is measured from there).</param>
public sealed record RollingStep(int Slot, string Name, int ExitCode, TimeSpan SigtermToExit, TimeSpan RestartToReady, TimeSpan RestartToInService,
    NodeLaunch Exited, TimeSpan SigtermAt, TimeSpan ReadyAt)
{
    public override string ToString() =>
        $"{Name}: SIGTERM to exit {LoadReport.Ms(SigtermToExit)} (exit code {ExitCode}), restart to ready {LoadReport.Ms(RestartToReady)}, " +
        $"to HAProxy UP and all members Up {LoadReport.Ms(RestartToInService)}";
}

/// <summary>
/// The rolling restart of the tests and the bench (deploy/local/cluster.sh roll is the same sequence for a person at a
/// shell): each node in turn gets SIGTERM, drains and exits, is started again in its slot (same HTTP and management
/// ports behind HAProxy, a new cluster address, the same database, optionally changed — a new app version), and the
/// next one goes only when it is ready, UP in HAProxy and every node sees all members Up, as a Kubernetes rolling
/// update with readiness gates does. Each step is marked on the load's clock.
/// </summary>
public static class RollingRestart
{
    /// <param name="change">How each node comes back (e.g. a new app version); null: as it was.</param>
    /// <param name="onExit">Called when a node has exited, before it is started again (a spec asserts its exit code there).</param>
    public static async Task<IReadOnlyList<RollingStep>> RunAsync(ClusterScenario s, Func<int, NodeLaunch, NodeLaunch>? change = null,
        Action<string, int>? onExit = null, TimeSpan? drainWithin = null)
    {
        var steps = new List<RollingStep>();
        for (var i = 0; i < s.Cluster.Size; i++)
        {
            var name = LocalCluster.Name(i);
            var node = s.Cluster[i];
            var stop = Stopwatch.StartNew();
            var sigtermAt = s.Load.Mark($"SIGTERM {name}");
            node.Signal(Signals.SIGTERM);
            var code = await node.WaitForExitAsync(drainWithin ?? TimeSpan.FromSeconds(60));
            var shutdown = stop.Elapsed;
            s.Load.Mark($"{name} exited");
            onExit?.Invoke(name, code);

            var start = Stopwatch.StartNew();
            var slot = i;
            await s.Cluster.RestartAtNewAddressAsync(i, change is null ? null : l => change(slot, l));
            var ready = start.Elapsed;
            var readyAt = s.Load.Now;
            await s.Haproxy.WaitServerStateAsync(name, "UP", TimeSpan.FromSeconds(30));
            await s.Cluster.WaitMembersUpAsync(s.Cluster.Size, TimeSpan.FromSeconds(60));
            s.Load.Mark($"{name} back");
            steps.Add(new RollingStep(i, name, code, shutdown, ready, start.Elapsed, node.Launch, sigtermAt, readyAt));
        }
        return steps;
    }

    /// <summary>
    /// Each restarted node's cold start (<see cref="LoadReport.ColdStart"/>): over the whole window, and again up to the
    /// moment the next node's drain hands its shards off (its SIGTERM + <paramref name="lbDelay"/>), whose stall would
    /// otherwise be counted as this node's.
    /// </summary>
    public static IEnumerable<string> ColdStarts(IReadOnlyList<RollingStep> steps, LoadReport report, TimeSpan lbDelay)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            yield return report.ColdStart(steps[i].Name, steps[i].ReadyAt);
            if (i + 1 < steps.Count)
                yield return report.ColdStart(steps[i].Name, steps[i].ReadyAt, (steps[i + 1].SigtermAt + lbDelay, $"{steps[i + 1].Name}'s hand-off (its SIGTERM + lb-delay)"));
        }
    }
}
