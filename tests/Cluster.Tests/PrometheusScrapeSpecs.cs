using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ActorService.Cluster.Tests.Prometheus;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// A real Prometheus (Debian's package), configured from deploy/prometheus/prometheus.yml with the alerting rules,
/// scrapes a three-node cluster every second through a rolling restart under load (HAProxy in front). Read back from
/// its HTTP API: every node's drain phases were recorded, the member counts went down to 2 and back to 3, each
/// restarted node published a clean previous drain, every alert expression evaluates without error against the real
/// series, and the clean roll paged nobody. The graphs of the roll are written as JSON for tools/Timeline's
/// <c>--graphs</c> picture (docs/observability.md). Costs about 40 s on an idle two-core machine (38 s measured).
/// </summary>
public sealed class PrometheusScrapeSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Where a node serves /metrics: its management listener (the public port answers 404).</summary>
    private static int MetricsPort(NodeLaunch launch) => launch.ManagementPort;

    [Fact]
    public async Task Should_record_drain_phases_and_member_counts_and_evaluate_every_alert_when_prometheus_scrapes_a_rolling_restart()
    {
        var cost = Stopwatch.StartNew();
        // The load is metrics' background, not the judge: the patient client, as when this spec was written.
        await using var s = await ClusterScenario.StartAsync("prometheus-roll", HaproxyConfig.NoRetries, ClientModel.PatientUnlessOverridden(honourRetryAfter: false),
            customize: (i, l) => l with
            {
                ReportPath = Path.Combine(l.DataDir, $"{LocalCluster.Name(i)}-shutdown.json"), // the restarted node publishes its previous drain
            },
            load: o => o with { RatePerSecond = 100, Accounts = 100 }); // LbDelay 2 s: a scrape a second sees every drain before its listener closes
        var (cluster, load) = (s.Cluster, s.Load);

        var instances = Enumerable.Range(0, 3).ToDictionary(i => $"127.0.0.1:{MetricsPort(cluster.Launch(i))}", LocalCluster.Name);
        await using var prometheus = await PrometheusServer.StartAsync(ScrapeConfig.Render(instances.Keys, ScrapeInterval), cluster.WorkDir);
        var job = ScrapeConfig.JobName;
        var sel = $"job=\"{job}\"";
        await Eventually.True(async () => (await prometheus.QueryAsync($"sum(up{{{sel}}})")).FirstOrDefault().Value == 3,
            TimeSpan.FromSeconds(30), $"Prometheus to scrape all three nodes (log: {prometheus.LogPath})", TimeSpan.FromMilliseconds(250));

        load.Start();
        await s.LoadCompletes(300, "a steady state before the roll");
        var rollStart = DateTimeOffset.UtcNow;
        var loadZero = rollStart - load.Now; // the load's clock on the wall clock, for the graphs' marks
        await RollingRestart.RunAsync(s, (_, l) => l with { AppVersion = "1.0.1" },
            onExit: (name, code) => Assert.True(code == 0, $"{name} exited with code {code} after SIGTERM\n{cluster.Tails(20)}"));
        var marks = load.Marks.Where(m => !m.Label.EndsWith(" exited", StringComparison.Ordinal)).Select(m => (loadZero + m.At, m.Label)).ToList();
        await s.LoadCompletes(200, "load on the rolled cluster");
        var rollEnd = DateTimeOffset.UtcNow;
        await load.StopAsync();
        var window = $"{(int)Math.Ceiling((DateTimeOffset.UtcNow - rollStart).TotalSeconds) + 10}s";

        // Every restarted node has been scraped with its predecessor's drain: clean (0) on all three.
        var previous = await Eventually.Get(async () =>
        {
            var r = await prometheus.QueryAsync($"actorservice_previous_drain_exit_code{{{sel}}}");
            return r.Count == 3 ? r : null;
        }, TimeSpan.FromSeconds(10), "each restarted node's previous drain in Prometheus");
        Assert.All(previous, s => Assert.True(s.Value == 0, $"{instances[s.Labels["instance"]]} published previous drain exit code {s.Value}"));

        // Drain phases recorded for every node (the phases before its listener closed), and the draining flag.
        var phases = await prometheus.QueryAsync($"max by (instance, phase) (max_over_time(actorservice_shutdown_phase_duration_seconds{{{sel}}}[{window}]))");
        var phasesByNode = phases.GroupBy(p => instances[p.Labels["instance"]])
            .ToDictionary(g => g.Key, g => g.ToDictionary(p => p.Labels["phase"], p => p.Value));
        foreach (var name in instances.Values)
        {
            Assert.True(phasesByNode.TryGetValue(name, out var seen) && seen.ContainsKey("before-service-unbind"),
                $"Prometheus recorded no drain phase of {name}: {Describe(phasesByNode)}");
        }
        var draining = await prometheus.QueryAsync($"max_over_time(actorservice_draining{{{sel}}}[{window}])");
        Assert.True(draining.Count(d => d.Value == 1) == 3, $"actorservice_draining was 1 in {draining.Count(d => d.Value == 1)} of 3 nodes' series");

        // Member counts: every node, while ready and another one restarted, saw 2 members Up; 3 before and after.
        var upMin = await prometheus.QueryAsync(
            $"min_over_time(((actorservice_cluster_members{{{sel}, status=\"up\"}} == 2) and on (instance) (actorservice_ready{{{sel}}} == 1))[{window}:1s])");
        var upMax = await prometheus.QueryAsync($"max by (instance) (max_over_time(actorservice_cluster_members{{{sel}, status=\"up\"}}[{window}]))");
        var upNow = await prometheus.QueryAsync($"actorservice_cluster_members{{{sel}, status=\"up\"}}");
        Assert.True(upMin.Select(s => s.Labels["instance"]).Distinct().Count() == 3,
            $"not every node was seen serving with a member gone (2 Up while ready): {Describe(upMin, instances)}");
        Assert.True(upMax.Count == 3 && upMax.All(s => s.Value == 3) && upNow.Count == 3 && upNow.All(s => s.Value == 3),
            $"max Up {Describe(upMax, instances)}, now {Describe(upNow, instances)}");

        // Every rule of the repository's file, evaluated by Prometheus on the real series after the roll: healthy.
        var rules = await Eventually.Get(async () =>
        {
            var r = await prometheus.RulesAsync();
            return r.Count > 0 && r.All(x => x.LastEvaluation > rollEnd) ? r : null;
        }, TimeSpan.FromSeconds(10), "an evaluation of every rule after the roll");
        var broken = rules.Where(r => r.Health != "ok").Select(r => $"{r.Name}: {r.Health} {r.LastError}").ToList();
        Assert.True(broken.Count == 0, $"alert rules that failed to evaluate:\n{string.Join("\n", broken)}");
        var evaluated = new List<string>();
        foreach (var rule in rules)
        {
            var result = await prometheus.QueryAsync(rule.Query); // throws with Prometheus' error if the expression fails
            evaluated.Add($"{rule.Name}: {result.Count} series now, state {rule.State}");
        }
        var firing = rules.Where(r => r.State == "firing").Select(r => r.Name).ToList();
        Assert.True(firing.Count == 0, $"a clean rolling restart made alerts fire: {string.Join(", ", firing)}");

        var graphs = await RollingGraphs.QueryAsync(prometheus, sel, rollStart.AddSeconds(-10), DateTimeOffset.UtcNow, marks, instances);
        var graphsPath = Path.Combine(cluster.WorkDir, "rolling-graphs.json");
        await File.WriteAllTextAsync(graphsPath, graphs);
        if (Environment.GetEnvironmentVariable("ACTORSERVICE_GRAPHS_OUT") is { Length: > 0 } copy) File.Copy(graphsPath, copy, overwrite: true);
        var picture = await RollingGraphs.DrawAsync(graphsPath, Path.Combine(cluster.WorkDir, "rolling-graphs.svg"));
        var members = picture.Single(p => p.Panel.StartsWith("Members Up", StringComparison.Ordinal));
        Assert.True(members.Series.Count == 3, $"the picture's members panel has {members.Series.Count} series, not one per node: {string.Join(", ", members.Series)}");

        var failed = load.Records.Count(r => !r.Ok);
        output.WriteLine(string.Join("\n", (string[])
        [
            string.Create(CultureInfo.InvariantCulture, $"cost {cost.Elapsed.TotalSeconds:0.0} s; roll {(rollEnd - rollStart).TotalSeconds:0.0} s; {load.Records.Count} requests, {failed} not 2xx"),
            $"phases recorded: {Describe(phasesByNode)}",
            $"2 members Up while ready seen on {Describe(upMin, instances)}; max Up {Describe(upMax, instances)}",
            .. evaluated,
            $"graphs: {graphsPath}",
        ]));
    }

    private static string Describe(Dictionary<string, Dictionary<string, double>> phases) =>
        string.Join("; ", phases.OrderBy(p => p.Key).Select(p => $"{p.Key}: " + string.Join(", ",
            p.Value.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.00} s")))));

    private static string Describe(IEnumerable<(IReadOnlyDictionary<string, string> Labels, double Value)> series, Dictionary<string, string> instances) =>
        string.Join(", ", series.Select(s => $"{instances.GetValueOrDefault(s.Labels.GetValueOrDefault("instance", "?"), "?")}={s.Value}"));
}
