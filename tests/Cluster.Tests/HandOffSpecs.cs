using System.Diagnostics;
using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>A request sent to a shard while it is being handed off reaches the shard's new home, once, after the hand-off.</summary>
public sealed class HandOffSpecs
{
    [Fact]
    public async Task Should_deliver_a_request_after_the_hand_off_when_it_is_sent_while_its_shard_moves()
    {
        await using var cluster = await LocalCluster.StartAsync("handoff", 3, l => l with { LbDelay = "1s" });
        var probe = new ShardProbe(ClusterScenario.ShardCount, "handoff");
        foreach (var id in probe.Accounts) // every shard gets a home
            Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetAccount(id)).Status);
        var leaving = cluster[2];
        var status = await LocalCluster.StatusAsync(leaving);
        var shard = int.Parse(status.GetProperty("shardIds").EnumerateArray().First().GetString()!);
        var account = probe.Accounts[shard];

        // The first write holds its entity for 4 s: the shard's hand-off cannot finish before that write commits.
        var slow = cluster[0].Http.Deposit(account, 100, key: "handoff-slow", delayMs: 4000);
        await Eventually.True(async () => (await LocalCluster.StatusAsync(leaving)).GetProperty("activeEntities").GetInt32() > 0,
            TimeSpan.FromSeconds(5), $"the entity of {account} to be active on node3");
        leaving.Signal(Signals.SIGTERM);
        await leaving.WaitForLogAsync(l => l.Contains("Shutdown phase cluster-sharding-shutdown-region started", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "its shards' hand-off to begin");
        var sw = Stopwatch.StartNew();
        var during = await cluster[1].Http.Deposit(account, 7, key: "handoff-during");
        var duringTook = sw.Elapsed;
        var first = await slow;

        Assert.True(first.Status == HttpStatusCode.OK && first.Applied, $"the write held in the entity during the hand-off: {first}");
        Assert.True(during.Status == HttpStatusCode.OK && during.Applied, $"the write sent during the hand-off: {during}");
        Assert.True(during.Balance == 107, $"the write sent during the hand-off must be applied after the held one (balance 100 + 7), got {during}");
        Assert.True(duringTook < ClusterScenario.NodeRequestTimeout, $"the write sent during the hand-off took {LoadReport.Ms(duringTook)}");
        Assert.Equal(0, await leaving.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var after = await cluster[0].Http.GetAccount(account);
        Assert.True(after.Balance == 107, $"{account} after node3 left: {after}");
        var homes = new List<string>();
        foreach (var node in new[] { cluster[0], cluster[1] })
            if ((await LocalCluster.StatusAsync(node)).GetProperty("shardIds").EnumerateArray().Any(x => x.GetString() == shard.ToString()))
                homes.Add(node.Name);
        Assert.True(homes.Count == 1, $"shard {shard} should have exactly one new home, found [{string.Join(", ", homes)}]");
    }
}
