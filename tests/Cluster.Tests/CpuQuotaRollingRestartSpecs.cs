using System.Globalization;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// The rolling restart of <see cref="RollingRestartSpecs"/> with each node in its own cgroup v1 CPU quota of 0.6 CPU,
/// as a Kubernetes <c>limits.cpu: 600m</c> (issue 17 item 6): a node starts, warms up and takes shards over on a
/// fraction of a core. Where no cgroup can be made (no cgroup v1 cpu controller, not root) the spec prints why and
/// checks nothing else; CI runs as root on a machine that has one.
/// </summary>
public sealed class CpuQuotaRollingRestartSpecs
{
    private const double Cpus = 0.6;
    private static readonly TimeSpan P99Target = TimeSpan.FromMilliseconds(500);
    private const double FailedShareBound = 0.001; // target 0; why 0.1 %: RollingRestartSpecs

    [Fact]
    public async Task Should_lose_nothing_and_keep_clients_served_when_each_node_is_restarted_in_turn_under_a_cpu_quota()
    {
        var quotas = new List<CpuQuota>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var quota = CpuQuota.TryCreate(Cpus, out var whyNot);
                if (quota is null)
                {
                    var note = $"skipped: no cgroup ({whyNot})";
                    Console.WriteLine(note);
                    TestContext.Current.TestOutputHelper?.WriteLine(note);
                    ClusterFigures.Write("rolling restart under 0.6 CPU quotas", [note]);
                    return;
                }
                quotas.Add(quota);
            }
            await using var s = await ClusterScenario.StartAsync("roll-quota", HaproxyConfig.NoRetries, ClientModel.Ordinary,
                customize: (i, l) => l with { Wrapper = quotas[i].Wrapper });
            s.Load.Start();
            await s.LoadCompletes(1500, "a steady state before the roll");
            var steadyEnd = s.Load.Mark("rolling restart begins");
            var steps = await RollingRestart.RunAsync(s,
                onExit: (name, code) => Assert.True(code == 0, $"{name} exited with code {code} after SIGTERM (0 = clean drain)\n{s.Context()}"));
            var rollEnd = s.Load.Mark("rolling restart done");
            await s.LoadCompletes(1500, "load on the rolled cluster");
            await s.Load.StopAsync();

            var report = new LoadReport(s.Load.Scheduled);
            var steady = report.Latency(TimeSpan.Zero, steadyEnd);
            var duringRoll = report.Latency(steadyEnd, rollEnd);
            var failedInRoll = report.Failed.Count(r => r.Start >= steadyEnd && r.Start < rollEnd);
            var history = await s.CheckHistoryAsync();
            ClusterFigures.Write($"rolling restart, each node in a cgroup v1 CPU quota of {Cpus} CPU (3 nodes, 300 req/s, HAProxy retries 0)",
            [
                report.Summary(),
                string.Create(CultureInfo.InvariantCulture, $"steady state before the roll: {steady.Count} requests, p50 {LoadReport.Ms(steady.P50)}, p99 {LoadReport.Ms(steady.P99)}, max {LoadReport.Ms(steady.Max)}"),
                string.Create(CultureInfo.InvariantCulture, $"rolling restart took {(rollEnd - steadyEnd).TotalSeconds:0.0} s; during it {duringRoll.Count} requests, {failedInRoll} failed, p50 {LoadReport.Ms(duringRoll.P50)}, p99 {LoadReport.Ms(duringRoll.P99)}, max {LoadReport.Ms(duringRoll.Max)}"),
                .. steps.Select(step => step.ToString()),
                .. RollingRestart.ColdStarts(steps, report, TimeSpan.FromSeconds(2)), // ClusterScenario.LbDelay
                .. quotas.Select((q, i) => { var (periods, throttled, time) = q.Stat(); return $"{LocalCluster.Name(i)} quota {q}: throttled in {throttled} of {periods} periods, {LoadReport.Ms(time)} in all"; }),
                $"client: {s.Load.Options.Client}",
                .. report.Events(s.Load.Marks),
                history.ToString(),
                .. report.Failed.Take(20).Select(LoadReport.Describe),
            ]);

            Assert.True(history.Lost == 0 && history.Doubled == 0 && history.StaleReads == 0 && history.Ok, $"{history}\n{s.Context()}");
            // Issue 17's targets: 0 failed and p99 ≤ 500 ms during the roll. Before shards moved a few at a time
            // (src/Actors/Accounts/Placement) this spec bounded the failed share at 15 % (measured 0-8.4 %, p99 0.6-2 s).
            // Since: p99 106-279 ms, and 1 of 10,697 failed once (a 2 s timeout, load average 14), 0 in the other runs.
            Assert.True(failedInRoll <= duringRoll.Count * FailedShareBound,
                $"{failedInRoll} of {duringRoll.Count} requests failed during the roll under {Cpus} CPU quotas (bound {FailedShareBound:P1}; target 0): {report.Summary()}\n{s.Context()}");
            Assert.True(duringRoll.P99 <= P99Target,
                $"p99 during the roll under {Cpus} CPU quotas {LoadReport.Ms(duringRoll.P99)} (target ≤ {LoadReport.Ms(P99Target)}): {report.Summary()}\n{string.Join("\n", report.Events(s.Load.Marks))}");
        }
        finally
        {
            foreach (var q in quotas) q.Dispose();
        }
    }
}
