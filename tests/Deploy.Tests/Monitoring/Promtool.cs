using ActorService.Deploy.Tests.Manifests;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>Prometheus' own checker (Debian's <c>prometheus</c> package; scripts/install-test-deps.sh installs it).</summary>
public static class Promtool
{
    /// <summary><c>promtool check rules</c>: the file parses, every expression is valid PromQL, templates compile.</summary>
    public static Task<CliResult> CheckRulesAsync(string ruleFile) =>
        Cli.RunAsync("promtool", ["check", "rules", Path.GetFileName(ruleFile)], Path.GetDirectoryName(ruleFile));

    /// <summary><c>promtool test rules</c>: the unit tests beside the rules (their rule_files are relative to the test file).</summary>
    public static Task<CliResult> TestRulesAsync(string testFile) =>
        Cli.RunAsync("promtool", ["test", "rules", Path.GetFileName(testFile)], Path.GetDirectoryName(testFile));
}
