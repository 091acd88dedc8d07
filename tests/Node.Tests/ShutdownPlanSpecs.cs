using System.Text.RegularExpressions;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;
using static ActorService.Node.Tests.DrainHarness;

namespace ActorService.Node.Tests;

/// <summary>
/// The plan's table is what really runs: a real node drains with Akka's debug log on, and every task CoordinatedShutdown
/// performs, ours and Akka's own, must be a row of <see cref="ShutdownPlan.Steps"/> in that phase (and every row must run).
/// </summary>
public sealed partial class ShutdownPlanSpecs
{
    [GeneratedRegex(@"Performing phase \[(?<phase>[a-z-]+)\] with \[\d+\] tasks: \[(?<tasks>[^\]]*)\]")]
    private static partial Regex PerformingPhase();

    [Fact]
    public async Task Should_run_exactly_the_tasks_of_the_plan_table_when_a_node_drains()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("plan-table", "200ms", "akka.loglevel = DEBUG") with { LogLevel = "Debug" });
        node.Signal(Signals.SIGTERM);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var performed = node.Lines.Select(l => PerformingPhase().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups["phase"].Value, m => m.Groups["tasks"].Value.Split(',', StringSplitOptions.TrimEntries).Order().ToList());
        var phases = Report(node).Phases.Select(p => p.Name).ToList();
        Assert.True(phases.Count == 12 && phases.All(performed.ContainsKey),
            $"every phase of the report must have been performed with its tasks logged; report: {string.Join(", ", phases)}; logged: {string.Join(", ", performed.Keys)}");
        foreach (var phase in phases)
        {
            var table = ShutdownPlan.Steps.Where(s => s.Phase == phase).Select(s => s.Task).Append(ShutdownPlan.TimelineMarker).Order().ToList();
            Assert.True(table.SequenceEqual(performed[phase]),
                $"phase {phase}: the plan's table lists [{string.Join(", ", table)}] but CoordinatedShutdown ran [{string.Join(", ", performed[phase])}]");
        }
    }
}
