using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// The Grafana dashboard imports as it is (its data source is an input the import asks for, never a uid of some
/// installation), shows what an operator looks at during a rolling deploy, and its series names are read correctly.
/// Whether those names exist on a real node is <see cref="MetricNameSpecs"/>' business.
/// </summary>
public sealed class DashboardSpecs
{
    private static readonly Dashboard Board = Dashboard.OfRepo();

    [Fact]
    public void Should_ask_for_its_prometheus_data_source_when_imported()
    {
        var inputs = Board.Json["__inputs"]?.AsArray() ?? [];
        var input = Assert.Single(inputs, i => i?["type"]?.GetValue<string>() == "datasource");
        Assert.Equal("prometheus", input!["pluginId"]?.GetValue<string>());
        var reference = "${" + input["name"]!.GetValue<string>() + "}";

        var wrong = new List<string>();
        foreach (var panel in Board.Panels.Where(p => p["type"]?.GetValue<string>() != "row"))
        {
            var sources = new[] { panel["datasource"] }.Concat((panel["targets"]?.AsArray() ?? []).Select(t => t?["datasource"]));
            if (sources.Any(s => s?["uid"]?.GetValue<string>() != reference))
                wrong.Add($"panel '{panel["title"]}'");
        }
        foreach (var variable in Board.Json["templating"]?["list"]?.AsArray() ?? [])
            if (variable?["datasource"]?["uid"]?.GetValue<string>() != reference)
                wrong.Add($"variable '{variable?["name"]}'");
        Assert.True(wrong.Count == 0, $"these use a data source other than the import input {reference}: {string.Join(", ", wrong)}");
        Assert.False(Board.Json.ContainsKey("id") && Board.Json["id"] is not null, "an exported dashboard id makes the import collide; leave it out (uid identifies it)");
    }

    [Fact]
    public void Should_have_a_panel_for_every_signal_of_a_rolling_deploy_when_opened()
    {
        var queries = Board.Queries.Select(q => q.Expr).ToList();
        var required = new Dictionary<string, string>
        {
            ["request rate"] = "http_server_request_duration_seconds_count",
            ["errors by status"] = "http_response_status_code",
            ["p50/p99"] = "histogram_quantile(0.99",
            ["in-flight"] = "actorservice_http_requests_in_flight",
            ["intake refused"] = "actorservice_http_requests_refused_total",
            ["drain phase and its duration"] = "actorservice_shutdown_phase_duration_seconds",
            ["entities active"] = "actorservice_entities_active",
            ["mailbox depth"] = "actorservice_entity_mailbox_depth",
            ["shards per node"] = "actorservice_shards",
            ["members by status"] = "actorservice_cluster_members",
            ["outbox backlog"] = "actorservice_outbox_backlog",
            ["GC"] = "dotnet_gc_collections_total",
            ["CPU"] = "dotnet_process_cpu_time_seconds_total",
        };
        var missing = required.Where(r => !queries.Any(q => q.Contains(r.Value, StringComparison.Ordinal))).Select(r => $"{r.Key} ({r.Value})").ToList();
        Assert.True(missing.Count == 0, $"the dashboard has no query for: {string.Join(", ", missing)}");

        var ids = Board.Panels.Select(p => p["id"]?.GetValue<int>()).ToList();
        Assert.True(ids.Distinct().Count() == ids.Count && ids.All(i => i is not null), "every panel needs its own id");
    }

    [Fact]
    public void Should_read_only_series_names_when_an_expression_is_parsed()
    {
        var names = PromQl.SeriesNames(
            "sum by (job, le) (rate(http_server_request_duration_seconds_bucket{http_route=~\"/accounts.*\", job=~\"$job\"}[$__rate_interval]))" +
            " / on (job) group_left (instance) max(actorservice_cluster_members offset 5m) > bool 0.5e3" +
            " and time() - max_over_time(actorservice_key_cleanup_last_success_timestamp_seconds[1d:5m]) > 3 * inf");
        Assert.Equal(["actorservice_cluster_members", "actorservice_key_cleanup_last_success_timestamp_seconds", "http_server_request_duration_seconds_bucket"], names);
        Assert.Equal(["actorservice_ready"], PromQl.SeriesNames("label_values(actorservice_ready{job=~\"$job\"}, instance)"));
    }
}
