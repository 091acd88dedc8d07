using ActorService.TestSupport;
using YamlDotNet.RepresentationModel;

namespace ActorService.Cluster.Tests.Prometheus;

/// <summary>
/// deploy/prometheus/prometheus.yml, the scrape configuration docs/observability.md shows, with a test's own values
/// rendered in: the targets (each node's metrics endpoint), the scrape and evaluation interval, and the rule file by
/// absolute path. Everything else (job name, metrics path, the rule file itself) is the repository's.
/// </summary>
public static class ScrapeConfig
{
    public static string Canonical => Path.Combine(Repo.Root, "deploy", "prometheus", "prometheus.yml");

    public static string Render(IEnumerable<string> targets, TimeSpan interval)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(Canonical))) stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;

        var global = (YamlMappingNode)root["global"];
        var seconds = $"{interval.TotalSeconds:0}s";
        global.Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode(seconds);
        global.Children[new YamlScalarNode("evaluation_interval")] = new YamlScalarNode(seconds);

        var ruleFiles = (YamlSequenceNode)root["rule_files"];
        var rules = ruleFiles.Children.Select(r => new YamlScalarNode(Path.Combine(Repo.Root, "deploy", "prometheus", ((YamlScalarNode)r).Value!))).ToList();
        root.Children[new YamlScalarNode("rule_files")] = new YamlSequenceNode(rules);

        var job = (YamlMappingNode)((YamlSequenceNode)root["scrape_configs"]).Children.Single();
        var staticConfig = (YamlMappingNode)((YamlSequenceNode)job["static_configs"]).Children.Single();
        staticConfig.Children[new YamlScalarNode("targets")] = new YamlSequenceNode(targets.Select(t => new YamlScalarNode(t)));

        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>The job name of the canonical file (queries select on it).</summary>
    public static string JobName
    {
        get
        {
            var stream = new YamlStream();
            using (var reader = new StringReader(File.ReadAllText(Canonical))) stream.Load(reader);
            var job = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["scrape_configs"]).Children.Single();
            return ((YamlScalarNode)job["job_name"]).Value!;
        }
    }
}
