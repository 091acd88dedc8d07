using System.Globalization;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// A rolling deploy under load behind HAProxy that gives the nodes no help: <c>retries 0</c>, no redispatch, health
/// checks every 500 ms. Each node in turn gets SIGTERM, drains and exits, and comes back with the next app version.
/// </summary>
public sealed class RollingRestartSpecs
{
    [Fact]
    public async Task Should_answer_every_request_and_keep_every_deposit_exactly_once_when_each_node_is_restarted_in_turn()
    {
        await using var s = await ClusterScenario.StartAsync("roll", HaproxyConfig.NoRetries, ClientModel.PatientUnlessOverridden(honourRetryAfter: false));
        s.Load.Start();
        await s.LoadCompletes(1500, "a steady state before the roll");
        var rollStart = s.Load.Mark("rolling restart begins");
        var steps = await RollingRestart.RunAsync(s, (_, l) => l with { AppVersion = "1.0.1" },
            onExit: (name, code) => Assert.True(code == 0, $"{name} exited with code {code} after SIGTERM (0 = clean drain)\n{s.Context()}"));
        var rollEnd = s.Load.Mark("rolling restart done");
        await s.LoadCompletes(1500, "load on the rolled cluster");
        await s.Load.StopAsync();

        var report = new LoadReport(s.Load.Scheduled);
        var audit = await LedgerAudit.RunAsync(s.Load.Records, s.Cluster[0].Http);
        var duringRoll = report.Latency(rollStart, rollEnd);
        var badAttempts = report.Attempts.Where(a => !a.Ok).ToList();
        ClusterFigures.Write("rolling restart (3 nodes, 300 req/s, HAProxy retries 0, no redispatch, checks every 500 ms)",
        [
            report.Summary(),
            string.Create(CultureInfo.InvariantCulture, $"rolling restart took {(rollEnd - rollStart).TotalSeconds:0.0} s; latency of requests started during it: {duringRoll.Count} requests, p50 {LoadReport.Ms(duringRoll.P50)}, p99 {LoadReport.Ms(duringRoll.P99)}, max {LoadReport.Ms(duringRoll.Max)}"),
            .. steps.Select(step => step.ToString()),
            $"ledger: {audit}",
            $"client: {s.Load.Options.Client}",
            .. report.Events(s.Load.Marks),
            (await s.CheckHistoryAsync()).ToString(),
            .. report.Failed.Take(20).Select(LoadReport.Describe),
        ]);

        Assert.True(badAttempts.Count == 0,
            $"{badAttempts.Count} requests were not answered 2xx ({string.Join(", ", report.AttemptFailuresByKind.Select(kv => $"{kv.Key}: {kv.Value}"))}):\n" +
            string.Join("\n", report.Failed.Take(20).Select(LoadReport.Describe)) + $"\n{s.Context()}");
        Assert.True(audit.Unknown == 0, $"the client never learned the outcome of {audit.Unknown} deposits");
        Assert.True(audit.Exact, $"ledger audit: {audit}\n{s.Context()}");
    }
}
