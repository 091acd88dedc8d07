using System.Text.Json;
using ActorService.Deploy.Tests.Budget;
using ActorService.Deploy.Tests.Manifests;
using k8s;
using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// deploy/k8s/components/monitoring as the overlays render it: the PrometheusRule carries exactly the rules of
/// deploy/prometheus/actorservice-alerts.yaml (the ones promtool tests), the PodMonitor scrapes the port and path
/// where a pod serves /metrics, and the shutdown report lies on the data volume so a restarted container can publish
/// its previous drain.
/// </summary>
public sealed class PrometheusOperatorSpecs
{
    private static async Task<List<RenderedOverlay>> MonitoredOverlays()
    {
        var all = await Task.WhenAll(DeployPaths.OverlayNames().Select(RenderedOverlay.OfRepo));
        return all.Where(o => o.All<PrometheusRule>().Any()).ToList();
    }

    [Fact]
    public async Task Should_carry_the_tested_rule_file_unchanged_when_an_overlay_renders_the_prometheus_rule()
    {
        var monitored = await MonitoredOverlays();
        Assert.Contains("production", monitored.Select(o => o.Name));
        var expected = Canonical(RuleFiles.Read(DeployPaths.AlertRules));
        foreach (var o in monitored)
        {
            var rule = Assert.Single(o.All<PrometheusRule>());
            Assert.Equal(PrometheusRule.ApiGroupVersion, rule.ApiVersion);
            Assert.True(expected == Canonical(rule.Spec),
                $"overlay '{o.Name}': PrometheusRule/{rule.Metadata.Name} differs from {DeployPaths.AlertRules}; run deploy/prometheus/sync-rules.sh");
        }
    }

    [Fact]
    public async Task Should_notice_a_difference_when_the_rule_file_changes_after_the_prometheus_rule_was_generated()
    {
        var rendered = Assert.Single((await RenderedOverlay.OfRepo("production")).All<PrometheusRule>());
        var changed = KubernetesYaml.Deserialize<RuleFile>(
            File.ReadAllText(DeployPaths.AlertRules).Replace("for: 30s", "for: 45s"), strict: true);
        Assert.NotEqual(Canonical(changed), Canonical(rendered.Spec));
    }

    [Fact]
    public async Task Should_scrape_the_port_and_path_the_node_serves_metrics_on_when_the_pod_monitor_is_rendered()
    {
        foreach (var o in await MonitoredOverlays())
        {
            var monitor = Assert.Single(o.All<PodMonitor>());
            var selector = monitor.Spec.Selector.MatchLabels ?? new Dictionary<string, string>();
            var podLabels = o.Deployment.Spec.Template.Metadata.Labels;
            Assert.True(selector.Count > 0 && selector.All(kv => podLabels.TryGetValue(kv.Key, out var v) && v == kv.Value),
                $"overlay '{o.Name}': PodMonitor selector {string.Join(",", selector)} does not select the node pods ({string.Join(",", podLabels)})");

            var endpoint = Assert.Single(monitor.Spec.PodMetricsEndpoints);
            var metricsPort = DrainBudget.Of(o).Config.GetInt("akka.management.http.port"); // /metrics is served on the management listener
            Assert.True(o.NamedPort(endpoint.Port!) == metricsPort,
                $"overlay '{o.Name}': the PodMonitor scrapes port '{endpoint.Port}' ({o.NamedPort(endpoint.Port!)}), but the node serves /metrics on {metricsPort}");
            Assert.Equal("/metrics", endpoint.Path);
        }
    }

    [Fact]
    public async Task Should_keep_the_shutdown_report_on_the_data_volume_when_monitoring_is_rendered()
    {
        foreach (var o in await MonitoredOverlays())
        {
            var path = PodEnvironment.Of(o).Get("ACTORSERVICE_REPORT_PATH");
            Assert.False(string.IsNullOrEmpty(path), $"overlay '{o.Name}': monitoring is on but ACTORSERVICE_REPORT_PATH is not set, so actorservice_previous_drain_* never appears");
            var dataDir = PodEnvironment.Of(o).Get("ACTORSERVICE_DATA_DIR")!;
            var mount = o.Node.VolumeMounts.SingleOrDefault(m => m.MountPath == dataDir);
            Assert.True(mount is not null && path!.StartsWith(dataDir + "/", StringComparison.Ordinal),
                $"overlay '{o.Name}': the report path {path} is not on the data volume mounted at {dataDir}");
        }
    }

    /// <summary>
    /// A rule file as one JSON string: equal strings mean the same groups, rules, expressions, labels and annotations
    /// (maps sorted by key: kustomize prints keys in alphabetical order).
    /// </summary>
    private static string Canonical(RuleFile rules) => JsonSerializer.Serialize(rules.Groups.Select(g => new
    {
        g.Name,
        g.Interval,
        Rules = g.Rules.Select(r => new
        {
            r.Alert, r.Record, r.Expr, r.For,
            Labels = r.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList(),
            Annotations = r.Annotations.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList(),
        }),
    }));
}
