using System.Text.Json.Nodes;
using ActorService.Deploy.Tests.Manifests;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>deploy/grafana/actorservice-dashboard.json: its panels and every PromQL query in it (panel targets and variables).</summary>
public sealed class Dashboard
{
    private Dashboard(JsonObject json) => Json = json;

    public JsonObject Json { get; }

    public static Dashboard OfRepo() => new(JsonNode.Parse(File.ReadAllText(DeployPaths.Dashboard))!.AsObject());

    /// <summary>Every panel, those nested in collapsed rows included.</summary>
    public IEnumerable<JsonObject> Panels =>
        (Json["panels"]?.AsArray() ?? []).OfType<JsonObject>()
            .SelectMany(p => new[] { p }.Concat((p["panels"]?.AsArray() ?? []).OfType<JsonObject>()));

    /// <summary>(where, PromQL) for every panel target and every query variable.</summary>
    public IEnumerable<(string Where, string Expr)> Queries
    {
        get
        {
            foreach (var panel in Panels)
                foreach (var target in (panel["targets"]?.AsArray() ?? []).OfType<JsonObject>())
                    if (target["expr"]?.GetValue<string>() is { Length: > 0 } expr)
                        yield return ($"panel '{panel["title"]}' target {target["refId"]}", expr);
            foreach (var variable in (Json["templating"]?["list"]?.AsArray() ?? []).OfType<JsonObject>())
            {
                var query = variable["query"] switch
                {
                    JsonValue v => v.GetValue<string>(),
                    JsonObject o => o["query"]?.GetValue<string>(),
                    _ => null,
                };
                if (variable["type"]?.GetValue<string>() == "query" && query is { Length: > 0 })
                    yield return ($"variable ${variable["name"]}", query);
            }
        }
    }
}
