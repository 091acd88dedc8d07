using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using ActorService.TestSupport;

namespace ActorService.Cluster.Tests.Prometheus;

/// <summary>
/// The graphs of a rolling restart, as range queries over Prometheus' real scrape (1 s steps), saved as one JSON file:
/// the panels (title, unit, query, Prometheus' matrix result), the events (SIGTERM, back) and the node name of each
/// instance. <c>dotnet run --project tools/Timeline -- --graphs file.json out.svg</c> draws it (docs/observability.md).
/// </summary>
public static class RollingGraphs
{
    private static readonly (string Title, string Unit, string Query, string Legend)[] Panels =
    [
        ("Members Up, as each node sees them", "members", "actorservice_cluster_members{SEL, status=\"up\"}", "{instance}"),
        ("Ready (1) per node", "", "actorservice_ready{SEL}", "{instance}"),
        ("Drain phase durations", "s", "actorservice_shutdown_phase_duration_seconds{SEL}", "{instance} {phase}"),
        ("Shards per node", "shards", "actorservice_shards{SEL}", "{instance}"),
        ("Requests/s by status (5 s rate)", "req/s", "sum by (http_response_status_code) (rate(http_server_request_duration_seconds_count{SEL, http_route!~\"/health/.*|/metrics\"}[5s]))", "{http_response_status_code}"),
        ("Ledger p99 (5 s window)", "s", "histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{SEL, http_route=~\"/accounts.*\"}[5s])))", "p99"),
        ("Requests in flight per node", "requests", "actorservice_http_requests_in_flight{SEL}", "{instance}"),
        ("Entity mailbox depth per node", "messages", "sum by (instance) (actorservice_entity_mailbox_depth{SEL})", "{instance}"),
    ];

    public static async Task<string> QueryAsync(PrometheusServer prometheus, string selector, DateTimeOffset start, DateTimeOffset end,
        IEnumerable<(DateTimeOffset At, string Label)> marks, IReadOnlyDictionary<string, string> instances)
    {
        var panels = new JsonArray();
        foreach (var (title, unit, query, legend) in Panels)
        {
            var expr = query.Replace("SEL", selector, StringComparison.Ordinal);
            var data = await prometheus.QueryRangeAsync(expr, start, end, TimeSpan.FromSeconds(1));
            panels.Add(new JsonObject
            {
                ["title"] = title, ["unit"] = unit, ["query"] = expr, ["legend"] = legend,
                ["result"] = JsonNode.Parse(data.GetProperty("result").GetRawText()),
            });
        }
        var doc = new JsonObject
        {
            ["title"] = "Rolling restart of three nodes, scraped by Prometheus every second",
            ["start"] = start.ToUnixTimeMilliseconds() / 1000.0,
            ["end"] = end.ToUnixTimeMilliseconds() / 1000.0,
            ["marks"] = new JsonArray(marks.Select(m => (JsonNode)new JsonObject { ["at"] = m.At.ToUnixTimeMilliseconds() / 1000.0, ["label"] = m.Label }).ToArray()),
            ["instances"] = new JsonObject(instances.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["panels"] = panels,
        };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Runs tools/Timeline --graphs as a user would and returns, per panel of the SVG, the series it drew.</summary>
    public static async Task<IReadOnlyList<(string Panel, IReadOnlyList<string> Series)>> DrawAsync(string graphsJson, string svgPath)
    {
        if (!File.Exists(Repo.TimelineDll)) throw new FileNotFoundException("build tools/Timeline first", Repo.TimelineDll);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Repo.TimelineDll, "--graphs", graphsJson, svgPath }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"tools/Timeline --graphs exited {process.ExitCode}: {await stderr}");
        XNamespace svg = "http://www.w3.org/2000/svg";
        return XDocument.Load(svgPath).Descendants(svg + "g").Where(g => g.Attribute("data-panel") is not null)
            .Select(g => (g.Attribute("data-panel")!.Value,
                (IReadOnlyList<string>)g.Elements(svg + "polyline").Select(l => l.Attribute("data-series")!.Value).Distinct().ToList()))
            .ToList();
    }
}
