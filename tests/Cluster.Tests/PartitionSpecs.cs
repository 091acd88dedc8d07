using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// Network partitions of real node processes (issue 13 item 4): three nodes, each in its own network namespace on a
/// bridge with 198.18.N.0/24 addresses (tests/TestSupport NetTopology), behind HAProxy in the root namespace, on their
/// own PostgreSQL and Redis listening on the bridge, under the ordinary client's open-loop load. The spec makes and
/// deletes the namespaces, the bridge and the servers; it needs root (CI runs as root). The history checker judges
/// every answer: nothing acknowledged lost, nothing doubled, no stale read from a node on the wrong side.
/// </summary>
public sealed class PartitionSpecs
{
    private static readonly TimeSpan DownedWithin = TimeSpan.FromSeconds(60);

    private sealed class Setup : IAsyncDisposable
    {
        public required NetTopology Net { get; init; }
        public required PrivateServices Services { get; init; }
        public ClusterScenario S { get; set; } = null!;

        public static async Task<Setup> StartAsync(string name)
        {
            Assert.Null(await NetTopology.WhyNotAvailableAsync()); // CI runs as root on Linux with iproute2
            var net = await NetTopology.CreateAsync(3);
            PrivateServices? services = null;
            try
            {
                services = await PrivateServices.StartAsync(alsoListen: net.BridgeAddress);
                var storage = new ClusterStorage(await services.NewDatabaseAsync(name, net.BridgeAddress), services.RedisAt(net.BridgeAddress));
                var setup = new Setup { Net = net, Services = services };
                setup.S = await ClusterScenario.StartAsync(name, HaproxyConfig.RetryConnectFailures, ClientModel.Ordinary,
                    customize: (i, l) => l with { Wrapper = net.Exec(i) }, storage: storage, hostOf: net.Address);
                return setup;
            }
            catch
            {
                if (services is not null) await services.DisposeAsync();
                await net.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (S is not null) await S.DisposeAsync();
            await Services.DisposeAsync();
            await Net.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_lose_double_and_show_stale_nothing_when_a_node_is_cut_off_and_comes_back()
    {
        await using var setup = await Setup.StartAsync("netcut");
        var s = setup.S;
        s.Load.Start();
        await s.LoadCompletes(900, "a steady state before the cut");

        var cutAt = s.Load.Mark("node3's link cut (it reaches nothing: peers, HAProxy, database)");
        await setup.Net.CutAsync(2);
        var code = await FaultRun.ExitCodeAsync(s, 2, DownedWithin, "a node cut off from the majority downs itself and exits");
        var goneAt = s.Load.Mark($"node3 exited ({code})");
        await s.Cluster.WaitMembersUpAsync(2, TimeSpan.FromSeconds(30));
        await s.LoadCompletes(900, "load on the majority");

        var healAt = s.Load.Mark("link healed");
        await setup.Net.HealAsync(2);
        await s.Cluster.RestartAsync(2);
        var backAt = s.Load.Mark("node3 restarted and ready");
        await s.Cluster.WaitMembersUpAsync(3, TimeSpan.FromSeconds(60));
        await s.Haproxy.WaitServerStateAsync("node3", "UP", TimeSpan.FromSeconds(30));
        await s.LoadCompletes(900, "load through the healed cluster");

        await FaultRun.FinishAsync(s, "network partition: node3's link cut at the bridge, then healed and node3 restarted (3 nodes, 300 req/s, ordinary client)", cutAt, healAt,
        [
            $"node3 exited with code {code} {LoadReport.Ms(goneAt - cutAt)} after the cut; back and ready {LoadReport.Ms(backAt - cutAt)} after it",
            $"network: {setup.Net}",
        ]);
    }

    /// <param name="minority">The node cut off from the other two: node3, or node1 (the oldest: it hosts the shard
    /// coordinator, which must move to the majority while node1 still takes requests from HAProxy).</param>
    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task Should_lose_double_and_show_stale_nothing_when_a_minority_is_partitioned_from_the_majority_and_heals(int minority)
    {
        var name = LocalCluster.Name(minority);
        var majority = string.Join(", ", Enumerable.Range(0, 3).Where(i => i != minority).Select(LocalCluster.Name));
        await using var setup = await Setup.StartAsync("netsplit" + (minority + 1));
        var s = setup.S;
        s.Load.Start();
        await s.LoadCompletes(900, "a steady state before the partition");

        // The minority no longer reaches the other two (nor they it), but it still reaches HAProxy and the database:
        // the case where a node on the wrong side keeps receiving requests until it knows it lost.
        var splitAt = s.Load.Mark($"partition: {{{name}}} | {{{majority}}}, all still reach HAProxy and the database");
        await setup.Net.PartitionAsync([minority]);
        var code = await FaultRun.ExitCodeAsync(s, minority, DownedWithin, "the minority side downs itself (keep-majority) and exits");
        var goneAt = s.Load.Mark($"{name} exited ({code})");
        await s.Cluster.WaitMembersUpAsync(2, TimeSpan.FromSeconds(30));
        await s.LoadCompletes(900, "load on the majority");

        var healAt = s.Load.Mark("partition healed");
        await setup.Net.HealPartitionsAsync();
        await s.Cluster.RestartAsync(minority);
        var backAt = s.Load.Mark($"{name} restarted and ready");
        await s.Cluster.WaitMembersUpAsync(3, TimeSpan.FromSeconds(60));
        await s.Haproxy.WaitServerStateAsync(name, "UP", TimeSpan.FromSeconds(30));
        await s.LoadCompletes(900, "load through the healed cluster");

        await FaultRun.FinishAsync(s, $"network partition: minority {{{name}}} | majority {{{majority}}}, healed, {name} restarted (3 nodes, 300 req/s, ordinary client)", splitAt, healAt,
        [
            $"{name} exited with code {code} {LoadReport.Ms(goneAt - splitAt)} after the partition; back and ready {LoadReport.Ms(backAt - splitAt)} after it",
            $"network: {setup.Net}",
        ]);
    }
}
