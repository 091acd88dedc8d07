using ActorService.Deploy.Tests.Manifests;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/prometheus.yml is a configuration Prometheus accepts (with the rule file it names), and the one
/// docs/observability.md shows is that file, word for word (the Prometheus scrape spec in tests/Cluster.Tests runs it).
/// </summary>
public sealed class ScrapeConfigSpecs
{
    private static string ConfigFile => Path.Combine(DeployPaths.Prometheus, "prometheus.yml");

    [Fact]
    public async Task Should_pass_promtool_check_config_when_the_scrape_configuration_is_checked()
    {
        var result = await Cli.RunAsync("promtool", ["check", "config", "prometheus.yml"], DeployPaths.Prometheus);
        Assert.True(result.Succeeded, $"promtool check config rejects {ConfigFile}: {result}");
        Assert.Contains("SUCCESS: 1 rule files found", result.Stdout);
    }

    [Fact]
    public void Should_show_the_repository_scrape_configuration_when_the_documentation_is_read()
    {
        var doc = File.ReadAllText(Path.Combine(Repo.Root, "docs", "observability.md"));
        var config = File.ReadAllText(ConfigFile);
        Assert.True(doc.Contains("```yaml\n" + config + "```", StringComparison.Ordinal),
            $"docs/observability.md does not show {ConfigFile} as it is: paste the file into its yaml block");
    }
}
