using ActorService.Deploy.Tests.Manifests;
using k8s;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>The repository's alerting rules, parsed strictly (an unknown field fails, as in a PrometheusRule).</summary>
public static class RuleFiles
{
    public static RuleFile Read(string path) => KubernetesYaml.Deserialize<RuleFile>(File.ReadAllText(path), strict: true);

    public static IReadOnlyList<AlertRule> Alerts() => Read(DeployPaths.AlertRules).Alerts.ToList();

    /// <summary>A rule's <c>for</c> as a TimeSpan (Prometheus durations: 30s, 10m, 6h, 1d; none = 0).</summary>
    public static TimeSpan For(AlertRule rule) => rule.For is null ? TimeSpan.Zero : PromDuration(rule.For);

    public static TimeSpan PromDuration(string text)
    {
        var total = TimeSpan.Zero;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"(\d+)(ms|s|m|h|d|w|y)"))
        {
            var n = int.Parse(m.Groups[1].Value);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n), "s" => TimeSpan.FromSeconds(n), "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n), "d" => TimeSpan.FromDays(n), "w" => TimeSpan.FromDays(7 * n), _ => TimeSpan.FromDays(365 * n),
            };
        }
        return total;
    }

    public static AlertRule Alert(string name) => Alerts().SingleOrDefault(a => a.Alert == name)
        ?? throw new InvalidOperationException($"no alert named {name} in {DeployPaths.AlertRules}");
}
