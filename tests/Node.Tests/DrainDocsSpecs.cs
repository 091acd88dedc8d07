using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Akka.Configuration;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// docs/drain.md says what the code does: its phase table and its timing-rules table are rendered from the plan's own
/// table (<see cref="ShutdownPlan.Steps"/>), hocon.conf's timeouts and <see cref="DrainTimingRules.All"/>, and must be
/// exactly what the file holds; every exit code is listed with its value. After a change to the plan, hocon.conf or the
/// rules, run this class once with ACTORSERVICE_UPDATE_DOCS=1 (it writes the generated blocks and fails), read the diff,
/// and run it again.
/// </summary>
public sealed partial class DrainDocsSpecs
{
    private static string DocPath => Path.Combine(Repo.Root, "docs", "drain.md");

    [Fact]
    public void Should_show_the_plans_phase_table_with_hocon_conf_timeouts_when_docs_drain_md_is_read() =>
        AssertGenerated("phase-table", PhaseTable());

    [Fact]
    public void Should_show_every_timing_rule_when_docs_drain_md_is_read() =>
        AssertGenerated("timing-rules", RulesTable());

    [Fact]
    public void Should_list_every_exit_code_with_its_value_when_docs_drain_md_is_read()
    {
        var doc = File.ReadAllText(DocPath);
        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.Equal(6, codes.Count); // 0 to 5: a new code needs its row in docs/drain.md and here
        foreach (var code in codes)
            Assert.True(doc.Contains($"| {code.GetRawConstantValue()} | `{code.Name}` |"),
                $"docs/drain.md must list exit code {code.GetRawConstantValue()} as a row \"| {code.GetRawConstantValue()} | `{code.Name}` | …\"");
    }

    /// <summary>The phase table: every phase in run order, its timeout in hocon.conf, each task, what it does.</summary>
    internal static string PhaseTable()
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(Repo.HoconFile)).WithFallback(ConfigurationFactory.Default());
        var phases = ShutdownBudget.OrderedPhases(config);
        var text = new StringBuilder()
            .AppendLine("| # | phase | timeout | task | what it does |")
            .AppendLine("| ---: | --- | ---: | --- | --- |");
        var n = 0;
        foreach (var row in StageRow.Of(phases, p => ShutdownBudget.PhaseTimeout(config, p)))
        {
            var task = row.Task == "-" ? "—" : $"`{row.Task}`{(row.Akkas ? " (Akka)" : "")}";
            text.AppendLine(row.First
                ? $"| {++n} | `{row.Phase}` | {ShutdownBudget.Format(row.Timeout)} | {task} | {row.What} |"
                : $"| | | | {task} | {row.What} |");
        }
        var total = ShutdownBudget.Total(config);
        return text.AppendLine($"| | **sum** | **{ShutdownBudget.Format(total)}** | | + host margin {ShutdownBudget.Format(ShutdownBudget.HostMargin)} = `HostOptions.ShutdownTimeout` {ShutdownBudget.Format(total + ShutdownBudget.HostMargin)} |")
            .ToString();
    }

    /// <summary>The timing rules: id, what must hold, where it is checked.</summary>
    internal static string RulesTable()
    {
        var text = new StringBuilder()
            .AppendLine("| rule | what must hold | checked |")
            .AppendLine("| --- | --- | --- |");
        foreach (var rule in DrainTimingRules.All)
            text.AppendLine($"| `{rule.Id}` | {rule.Statement} | {(rule.CheckedAtStart ? "at start, and per overlay" : "per overlay (tests/Deploy.Tests)")} |");
        return text.ToString();
    }

    [GeneratedRegex(@"(?<begin><!-- generated: (?<name>[a-z-]+)[^>]*-->\n)(?<body>.*?)(?<end><!-- end generated: \k<name> -->)", RegexOptions.Singleline)]
    private static partial Regex GeneratedBlock();

    private static void AssertGenerated(string name, string expected)
    {
        var doc = File.ReadAllText(DocPath);
        var block = GeneratedBlock().Matches(doc).SingleOrDefault(m => m.Groups["name"].Value == name);
        Assert.True(block is not null, $"docs/drain.md has no block \"<!-- generated: {name} -->\" … \"<!-- end generated: {name} -->\"");
        if (block.Groups["body"].Value == expected) return;
        if (Environment.GetEnvironmentVariable("ACTORSERVICE_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(DocPath, doc[..block.Groups["body"].Index] + expected + doc[(block.Groups["body"].Index + block.Groups["body"].Length)..]);
            Assert.Fail($"docs/drain.md's {name} block was rewritten from the code: review the diff and run again without ACTORSERVICE_UPDATE_DOCS");
        }
        Assert.Fail($"docs/drain.md's {name} block differs from what the code says (ACTORSERVICE_UPDATE_DOCS=1 rewrites it). Expected:\n{expected}\nFound:\n{block.Groups["body"].Value}");
    }
}
