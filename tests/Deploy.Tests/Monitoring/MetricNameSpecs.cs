using System.Net;
using ActorService.Deploy.Tests.Manifests;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// Every series name the dashboard and the alerting rules read exists on a real node's /metrics: scraped once while
/// it serves (after a write, a read and a key cleanup, so histograms and the cleanup timestamp exist; started on the
/// shutdown report of a drain that hit a deadline, so the previous-drain gauges exist) and once during its drain (the
/// phase gauges exist only then). Names are compared as exposed, so a histogram is read as <c>_bucket</c>,
/// <c>_count</c> or <c>_sum</c>, and a query of the bare family name is reported as missing.
/// </summary>
public sealed class MetricNameSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Should_find_every_series_of_the_dashboard_and_the_alerts_when_a_real_node_is_scraped()
    {
        var dir = Repo.NewWorkDir("metric-names");
        var reportPath = Path.Combine(dir, "shutdown-report.json");
        await File.WriteAllTextAsync(reportPath, PreviousReport);
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Path.Combine(dir, "data")) with
        {
            ReportPath = reportPath,
            LbDelay = "3s", // the drain's phase gauges are scraped during the load-balancer delay
            TestHooks = false,
            Hocon = ["actor-service.db.key-cleanup-interval = 200ms"],
        }, "metric-names");

        Assert.Equal(HttpStatusCode.OK, (await node.Http.Deposit("names-1", 5)).Status);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("accounts/names-1")).StatusCode);
        var serving = await Eventually.Get(async () =>
        {
            var scrape = await PrometheusScrape.From(node.Management);
            return scrape.Find("actorservice_key_cleanup_last_success_timestamp_seconds").Any() ? scrape : null;
        }, TimeSpan.FromSeconds(20), "the first key cleanup to be published");

        // How the previous drain ended, as the report said (exit code 3, one kind of work abandoned).
        Assert.Equal(3, serving.Single("actorservice_previous_drain_exit_code"));
        Assert.Equal(1, serving.Single("actorservice_previous_drain_abandoned"));
        Assert.Equal(1, serving.Single("actorservice_ready"));
        Assert.Equal(1, serving.Single("actorservice_readiness_changes_total")); // not ready -> ready at start

        node.Signal(Signals.SIGTERM);
        var draining = await Eventually.Get(async () =>
        {
            var scrape = await PrometheusScrape.From(node.Management);
            return scrape.Find("actorservice_shutdown_phase_duration_seconds").Any() ? scrape : null;
        }, TimeSpan.FromSeconds(3), "the drain's phase gauges during the load-balancer delay");
        Assert.Equal(0, draining.Single("actorservice_ready"));
        Assert.Equal(2, draining.Single("actorservice_readiness_changes_total"));
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var exposed = serving.Samples.Concat(draining.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var queries = Dashboard.OfRepo().Queries.Concat(RuleFiles.Alerts().Select(a => ($"alert {a.Alert}", a.Expr))).ToList();
        var missing = new List<string>();
        var read = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (where, expr) in queries)
            foreach (var name in PromQl.SeriesNames(expr))
            {
                read.Add(name);
                if (!exposed.Contains(name))
                    missing.Add($"{where}: '{name}'" + (exposed.Contains(name + "_bucket") ? $" is a histogram: read {name}_bucket, _count or _sum" : " is not exposed"));
            }
        output.WriteLine($"{queries.Count} queries read {read.Count} series names: {string.Join(", ", read)}");
        Assert.True(read.Count >= 20, $"only {read.Count} series names were found in {queries.Count} queries: the PromQL reader is broken");
        Assert.True(missing.Count == 0, $"series the dashboard or the alerts read but a node does not expose:\n{string.Join("\n", missing)}");
    }

    /// <summary>A drain that cancelled requests at its deadline (exit code 3), as the node writes it to drain.report-path.</summary>
    private const string PreviousReport =
        """{"shutdownId":"0a1b2c3d4e5f","node":"akka.tcp://actor-service@127.0.0.1:1","reason":"signal SIGTERM","startedAt":"2026-01-01T00:00:00+00:00","totalMs":12500,"exitCode":3,"clean":false,"phases":[],"abandoned":["2 HTTP requests cancelled at the request deadline (10 s) with 503"],"samples":[]}""";
}
