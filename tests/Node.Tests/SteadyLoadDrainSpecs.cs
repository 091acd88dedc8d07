using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>SIGTERM under steady load on a single node: nothing that reached the node fails, nothing acknowledged is lost.</summary>
[Collection(nameof(RunsAlone))]
public sealed class SteadyLoadDrainSpecs
{
    [Fact]
    public async Task Should_lose_nothing_and_break_no_connection_when_sigterm_arrives_under_steady_load()
    {
        var launch = DrainHarness.Launch("steady-load", lbDelay: "1s");
        using var client = new SteadyLoadClient(new Uri($"http://127.0.0.1:{launch.HttpPort}/"), accounts: 50, accountPrefix: "steady-");
        using var stop = new CancellationTokenSource();
        var first = await NodeProcess.StartReadyAsync(launch, "first");
        var load = client.RunAsync(perSecond: 200, stop.Token);

        await Eventually.True(() => client.Acknowledged >= 300, TimeSpan.FromSeconds(30), "300 answered requests before the drain");
        first.Signal(Signals.SIGTERM);
        Assert.Equal(ExitCodes.Clean, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await using var second = await NodeProcess.StartReadyAsync(launch, "second");
        var before = client.Acknowledged;
        await Eventually.True(() => client.Acknowledged >= before + 200, TimeSpan.FromSeconds(30), "traffic served by the restarted node");
        await stop.CancelAsync();
        await load;
        await client.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        await first.DisposeAsync();

        var outcomes = client.Describe();
        TestContext.Current.TestOutputHelper?.WriteLine($"sent {client.Sent}; outcomes: {outcomes}");
        Assert.DoesNotContain(client.Outcomes.Keys, k => k.StartsWith("transport error") || k == "gave up");
        Assert.All(client.Outcomes.Keys, k => Assert.True(k is "200" or "404" or "503" or "refused (nothing sent)", $"unexpected outcome {k}: {outcomes}"));
        Assert.True(client.Outcomes.GetValueOrDefault("503") > 0, $"the drain was never visible to the client: {outcomes}");
        foreach (var (account, sum) in client.AcknowledgedPerAccount)
            Assert.True(sum == (await second.Http.GetAccount(account)).Balance, $"{account}: acknowledged {sum}, stored {(await second.Http.GetAccount(account)).Balance}; {outcomes}");
    }
}
