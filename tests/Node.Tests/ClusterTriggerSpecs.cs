using System.Net;
using System.Text.Json;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>The cluster itself can start a node's drain: a node that the others downed drains and exits with code 4.</summary>
public sealed class ClusterTriggerSpecs
{
    [Fact]
    public async Task Should_drain_and_exit_with_the_downed_code_when_the_cluster_downs_the_node()
    {
        // Keep-majority breaks a 1-1 tie in favour of the lowest address: the survivor gets the lower cluster port.
        var survivorPort = Ports.Free();
        var victimPort = Ports.Free();
        if (victimPort < survivorPort) (survivorPort, victimPort) = (victimPort, survivorPort);
        var seeds = new[] { $"127.0.0.1:{survivorPort}" };
        await using var survivor = await NodeProcess.StartReadyAsync(
            new NodeLaunch(Ports.Free(), survivorPort, Repo.NewWorkDir("downing-survivor")) { Seeds = seeds, AdminToken = DrainHarness.Token }, "survivor");
        var victimDir = Repo.NewWorkDir("downing-victim");
        await using var victim = await NodeProcess.StartReadyAsync(
            new NodeLaunch(Ports.Free(), victimPort, victimDir) { Seeds = seeds, ReportPath = Path.Combine(victimDir, "report.json") }, "victim");
        await Eventually.True(async () => (await Members(survivor)).Count(m => m.Status == "Up") == 2, TimeSpan.FromSeconds(30), "two Up members");

        // Freeze the victim: it stops answering heartbeats, the survivor's split brain resolver downs it.
        victim.Signal(Signals.SIGSTOP);
        try
        {
            await Eventually.True(async () => (await Members(survivor)).All(m => m.Address.EndsWith($":{survivorPort}")),
                TimeSpan.FromSeconds(60), "the survivor to down and remove the frozen node", TimeSpan.FromMilliseconds(250));
        }
        finally
        {
            victim.Signal(Signals.SIGCONT);
        }

        Assert.Equal(ExitCodes.Downed, await victim.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var report = ShutdownReport.FromJson(File.ReadAllText(victim.Launch.ReportPath!));
        Assert.Equal("downed-by-cluster", report.Reason);
        Assert.False(report.Clean);
        Assert.Equal(HttpStatusCode.OK, (await survivor.Http.GetAsync("health/ready")).StatusCode);
    }

    private sealed record Member(string Address, string Status);

    private static async Task<IReadOnlyList<Member>> Members(NodeProcess node)
    {
        var status = await (await node.Http.SendAsync(DrainHarness.AdminCall(HttpMethod.Get, "admin/status"))).Content.ReadAsStringAsync();
        return JsonDocument.Parse(status).RootElement.GetProperty("members").EnumerateArray()
            .Select(m => new Member(m.GetProperty("address").GetString()!, m.GetProperty("status").GetString()!)).ToList();
    }
}
