using System.Text.RegularExpressions;
using ActorService.Deploy.Tests.Manifests;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/actorservice-alerts.yaml with Prometheus' own tools: <c>promtool check rules</c> accepts it, and
/// <c>promtool test rules</c> passes its unit tests, in which every alert fires in one case and stays silent in
/// another; a rule file with a changed threshold makes them fail.
/// </summary>
public sealed partial class AlertRuleSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Should_pass_promtool_check_rules_when_the_rule_file_is_checked()
    {
        var result = await Promtool.CheckRulesAsync(DeployPaths.AlertRules);
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, $"promtool check rules rejects {DeployPaths.AlertRules}: {result}");
        var alerts = RuleFiles.Alerts().Count;
        Assert.Contains($"SUCCESS: {alerts} rules found", result.Stdout);
    }

    [Fact]
    public async Task Should_pass_every_promtool_unit_test_when_the_rules_are_tested()
    {
        var result = await Promtool.TestRulesAsync(DeployPaths.AlertRuleTests);
        output.WriteLine(result.ToString());
        Assert.True(result.Succeeded, $"promtool test rules failed: {result}");
        Assert.Contains("SUCCESS", result.Stdout);
    }

    [Fact]
    public void Should_test_every_alert_firing_and_silent_when_the_unit_tests_are_read()
    {
        var tests = File.ReadAllText(DeployPaths.AlertRuleTests);
        var missing = new List<string>();
        foreach (var alert in RuleFiles.Alerts().Select(a => a.Alert!))
        {
            // Each alert_rule_test entry names the alert, then its expected alerts: a list with labels (fires) or [] (silent).
            var cases = AlertCase().Matches(tests).Where(m => m.Groups["name"].Value == alert).ToList();
            if (!cases.Any(c => c.Groups["silent"].Success)) missing.Add($"{alert}: no case where it must stay silent (exp_alerts: [])");
            if (!cases.Any(c => !c.Groups["silent"].Success)) missing.Add($"{alert}: no case where it fires (exp_alerts with exp_labels)");
        }
        Assert.True(missing.Count == 0, "actorservice-alerts.test.yaml lacks cases:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task Should_fail_the_unit_tests_when_a_threshold_is_changed()
    {
        var copy = Repo.NewWorkDir("alerts-mutated");
        File.Copy(DeployPaths.AlertRuleTests, Path.Combine(copy, Path.GetFileName(DeployPaths.AlertRuleTests)));
        var rules = File.ReadAllText(DeployPaths.AlertRules);
        const string threshold = "increase(actorservice_readiness_changes_total[15m]) > 5";
        Assert.True(rules.Contains(threshold, StringComparison.Ordinal), $"the flapping threshold '{threshold}' is not in the rule file any more: update this spec");
        File.WriteAllText(Path.Combine(copy, Path.GetFileName(DeployPaths.AlertRules)), rules.Replace(threshold, threshold[..^1] + "3"));

        var result = await Promtool.TestRulesAsync(Path.Combine(copy, Path.GetFileName(DeployPaths.AlertRuleTests)));
        Assert.False(result.Succeeded, $"the unit tests passed with the flapping threshold lowered from 5 to 3: {result}");
        Assert.Contains("readiness flapping", result.Stdout + result.Stderr);
    }

    [GeneratedRegex(@"alertname:\s*(?<name>\w+)\s*\n\s*exp_alerts:\s*(?<silent>\[\])?")]
    private static partial Regex AlertCase();
}
