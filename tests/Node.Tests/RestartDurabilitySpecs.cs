using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>An acknowledged write survives the process: start the real node, write, stop it, start it again, read.</summary>
public sealed class RestartDurabilitySpecs
{
    [Fact]
    public async Task Should_serve_every_acknowledged_write_when_the_node_restarts()
    {
        var dir = Repo.NewWorkDir("restart");
        var launch = NodeLaunch.Single(dir);
        var acknowledged = new Dictionary<string, long>();
        await using (var node = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            for (var i = 0; i < 20; i++)
            {
                var id = $"r{i % 5}";
                var answer = await node.Http.Deposit(id, i + 1, key: $"k{i}");
                Assert.Equal(HttpStatusCode.OK, answer.Status);
                acknowledged[id] = answer.Balance;
            }
            node.Signal(Signals.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        await using var again = await NodeProcess.StartReadyAsync(launch, "second");
        foreach (var (id, balance) in acknowledged)
            Assert.Equal(balance, (await again.Http.GetAccount(id)).Balance);
        // The keys survived too: a repeat is not applied again.
        var repeat = await again.Http.Deposit("r0", 1, key: "k0");
        Assert.False(repeat.Applied);
        Assert.Equal(acknowledged["r0"], (await again.Http.GetAccount("r0")).Balance);
    }

    [Fact]
    public async Task Should_keep_acknowledged_writes_when_the_node_is_killed()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("kill9"));
        long balance;
        await using (var node = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            var writes = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => node.Http.Deposit("k9", i, key: $"k{i}")));
            Assert.All(writes, w => Assert.Equal(HttpStatusCode.OK, w.Status));
            balance = (await node.Http.GetAccount("k9")).Balance;
            node.Signal(Signals.SIGKILL);
            await node.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        await using var again = await NodeProcess.StartReadyAsync(launch, "second");
        Assert.Equal(40 * 41 / 2, balance);
        Assert.Equal(balance, (await again.Http.GetAccount("k9")).Balance);
    }
}
