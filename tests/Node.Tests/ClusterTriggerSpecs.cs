using System.Net;
using System.Text.Json;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>The cluster itself can start a node's drain: a node that the others downed drains and exits with code 4.</summary>
[Collection(nameof(RunsAlone))]
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
        var victimDir = Repo.NewWorkDir("downing"); // one cluster, one database (a shared SQLite file)
        await using var survivor = await NodeProcess.StartReadyAsync(
            new NodeLaunch(Ports.Free(), survivorPort, victimDir) { Seeds = seeds, AdminToken = DrainHarness.Token }, "survivor");
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

    [Fact]
    public async Task Should_drain_and_exit_cleanly_when_another_member_tells_the_node_to_leave()
    {
        var seedPort = Ports.Free();
        var seeds = new[] { $"127.0.0.1:{seedPort}" };
        // One cluster, one database: both nodes share the SQLite file of one data folder.
        var leaverDir = Repo.NewWorkDir("leave");
        await using var stayer = await NodeProcess.StartReadyAsync(
            new NodeLaunch(Ports.Free(), seedPort, leaverDir) { Seeds = seeds, AdminToken = DrainHarness.Token }, "stayer");
        var leaverPort = Ports.Free();
        await using var leaver = await NodeProcess.StartReadyAsync(
            new NodeLaunch(Ports.Free(), leaverPort, leaverDir) { Seeds = seeds, ReportPath = Path.Combine(leaverDir, "report.json") }, "leaver");
        await Eventually.True(async () => (await Members(stayer)).Count(m => m.Status == "Up") == 2, TimeSpan.FromSeconds(30), "two Up members");
        var written = await leaver.Http.Deposit("leave-acct", 12, key: "before-leave");

        var leaverAddress = (await Members(stayer)).Single(m => m.Address.EndsWith($":{leaverPort}")).Address;
        var told = await stayer.Management.SendAsync(DrainHarness.AdminCall(HttpMethod.Post, $"admin/cluster/leave?address={Uri.EscapeDataString(leaverAddress)}"));

        Assert.Equal(HttpStatusCode.Accepted, told.StatusCode);
        Assert.Equal(ExitCodes.Clean, await leaver.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var report = ShutdownReport.FromJson(File.ReadAllText(leaver.Launch.ReportPath!));
        Assert.Equal("left-the-cluster", report.Reason);
        Assert.Contains(report.Phases, p => p.Name == "service-requests-done");
        Assert.Equal(HttpStatusCode.OK, written.Status);
        var read = await stayer.Http.GetAccount("leave-acct");
        Assert.True(read.Status == HttpStatusCode.OK, $"read after the leave: {read}");
        Assert.Equal(12, read.Balance);
    }

    [Theory]
    [InlineData("not an address", HttpStatusCode.BadRequest)]
    [InlineData("akka.tcp://actor-service@127.0.0.1:1", HttpStatusCode.NotFound)]
    public async Task Should_refuse_to_make_a_non_member_leave(string address, HttpStatusCode expected)
    {
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("leave-bad")) with { AdminToken = DrainHarness.Token });
        var answer = await node.Management.SendAsync(DrainHarness.AdminCall(HttpMethod.Post, $"admin/cluster/leave?address={Uri.EscapeDataString(address)}"));
        Assert.Equal(expected, answer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("health/ready")).StatusCode);
    }

    private sealed record Member(string Address, string Status);

    private static async Task<IReadOnlyList<Member>> Members(NodeProcess node)
    {
        var status = await (await node.Management.SendAsync(DrainHarness.AdminCall(HttpMethod.Get, "admin/status"))).Content.ReadAsStringAsync();
        return JsonDocument.Parse(status).RootElement.GetProperty("members").EnumerateArray()
            .Select(m => new Member(m.GetProperty("address").GetString()!, m.GetProperty("status").GetString()!)).ToList();
    }
}
