using System.Text.Json;
using Xunit;

namespace ActorService.TestSupport.Tests.Faults;

/// <summary>
/// Three nodes, each in its own network namespace on one bridge, form a cluster on the private PostgreSQL and Redis
/// (listening on the bridge address) behind HAProxy in the root namespace. A node cut off at the bridge is unreachable
/// for the others and DOWN for HAProxy; healed, it is reachable and UP again. Nothing of the topology is left after it,
/// and what a crashed run left is removed.
/// </summary>
public sealed class NetTopologySpecs
{
    // Partitioned nodes are not downed during the spec: it proves the network tool, not the split brain resolver.
    private static readonly string[] NoDowning = ["akka.cluster.split-brain-resolver.stable-after = 120s"];

    [Fact]
    public async Task Should_make_a_node_unreachable_when_it_is_cut_off_and_reachable_again_when_healed()
    {
        Assert.Null(await NetTopology.WhyNotAvailableAsync()); // CI runs as root on Linux with iproute2
        string[] objects;
        await using (var topology = await NetTopology.CreateAsync(3))
        {
            objects = [.. await topology.ExistingObjectsAsync()];
            Assert.Equal(7, objects.Length); // the bridge, and per node a namespace and the root end of its veth pair
            await using var services = await PrivateServices.StartAsync(alsoListen: topology.BridgeAddress);
            var storage = new ClusterStorage(await services.NewDatabaseAsync($"netns_{topology.Id}", topology.BridgeAddress), services.RedisAt(topology.BridgeAddress));
            await using var cluster = await LocalCluster.StartAsync("netns", 3, (i, l) => l with { Wrapper = topology.Exec(i), Hocon = NoDowning },
                within: TimeSpan.FromSeconds(120), storage: storage, hostOf: topology.Address);
            var servers = Enumerable.Range(0, 3).Select(i => HaproxyServer.Of(LocalCluster.Name(i), cluster.Launch(i))).ToList();
            await using var haproxy = await HaproxyProcess.StartAsync(HaproxyConfig.NoRetries(Ports.Free(), Ports.Free(), servers), cluster.WorkDir);
            await haproxy.WaitAllUpAsync(TimeSpan.FromSeconds(30));
            using var client = NodeProcess.NewClient(haproxy.FrontendUri, TimeSpan.FromSeconds(10));
            var deposit = await client.Deposit("netns-account", 5, key: "netns-1");
            Assert.True(deposit.Status == System.Net.HttpStatusCode.OK, $"deposit through HAProxy to nodes in namespaces: {deposit}");
            Assert.Equal(1, (await TestServices.Query<long>(storage.Postgres!, "SELECT count(*) FROM outbox")).Single());

            await topology.CutAsync(2);
            await Eventually.True(async () => await ReachableAsync(cluster[0], cluster.Launch(2)) == false && await ReachableAsync(cluster[1], cluster.Launch(2)) == false,
                TimeSpan.FromSeconds(30), "node1 and node2 to see node3 unreachable", TimeSpan.FromMilliseconds(250));
            await haproxy.WaitServerStateAsync("node3", "DOWN", TimeSpan.FromSeconds(30));

            await topology.HealAsync(2);
            await cluster.WaitMembersUpAsync(3, TimeSpan.FromSeconds(60));
            await haproxy.WaitServerStateAsync("node3", "UP", TimeSpan.FromSeconds(30));
            Assert.All(Enumerable.Range(0, 3), i => Assert.False(cluster[i].HasExited, $"{LocalCluster.Name(i)} exited: {cluster[i].Tail()}"));
        }
        var left = await ExistingAsync(objects);
        Assert.True(left.Count == 0, $"left behind after the topology was disposed: {string.Join(", ", left)}");
    }

    [Fact]
    public async Task Should_separate_groups_of_nodes_while_both_still_reach_the_root_namespace_when_partitioned()
    {
        Assert.Null(await NetTopology.WhyNotAvailableAsync());
        await using var topology = await NetTopology.CreateAsync(3);
        var dir = Repo.NewWorkDir("partition");
        // A listener in node3's namespace (a Redis server: small and quick); is it reachable from node1 (a peer) and
        // from the root namespace (where HAProxy and the database are)?
        var port = Ports.Free();
        await using var listener = ChildProcess.Run(new ChildStart("listener", "redis-server",
            ["--port", port.ToString(), "--bind", topology.Address(2), "--save", "", "--appendonly", "no"], Path.Combine(dir, "listener.log"))
        {
            Wrapper = topology.Exec(2),
        });
        await Eventually.True(() => ConnectsFromRoot(topology.Address(2), port), TimeSpan.FromSeconds(30), "the listener in node3's namespace");

        Assert.True(await ConnectsAsync(topology, 0, topology.Address(2), port), "node1 cannot reach node3 before the partition");
        await topology.PartitionAsync([2]);
        Assert.False(await ConnectsAsync(topology, 0, topology.Address(2), port), "node1 still reaches node3 across the partition");
        Assert.True(ConnectsFromRoot(topology.Address(2), port), "the root namespace no longer reaches node3");
        await topology.HealPartitionsAsync();
        Assert.True(await ConnectsAsync(topology, 0, topology.Address(2), port), "node1 cannot reach node3 after the partition healed");
    }

    [Fact]
    public async Task Should_remove_what_a_crashed_run_left_when_a_topology_is_created()
    {
        Assert.Null(await NetTopology.WhyNotAvailableAsync());
        var crashed = await NetTopology.CreateAsync(2);
        var objects = await crashed.ExistingObjectsAsync();
        // The run "crashes": its owner becomes a process that has exited, and it never disposes its topology.
        await using (var gone = ChildProcess.Run(new ChildStart("gone", "true", [], Path.Combine(Repo.NewWorkDir("crashed"), "gone.log"))))
        {
            await gone.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await File.WriteAllTextAsync(Path.Combine(Directory.Exists("/run") ? "/run/actorservice-netns" : "/tmp/actorservice-netns", crashed.Id), gone.Pid.ToString());
        }

        await using var next = await NetTopology.CreateAsync(1);

        var left = await ExistingAsync(objects);
        Assert.True(left.Count == 0, $"left behind by the crashed run: {string.Join(", ", left)}");
        Assert.NotEmpty(await next.ExistingObjectsAsync());
    }

    private static async Task<bool?> ReachableAsync(NodeProcess observer, NodeLaunch member)
    {
        var status = await LocalCluster.StatusAsync(observer);
        var entry = status.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("address").GetString()!.Contains($"@{member.Host}:{member.ClusterPort}"));
        return entry.ValueKind == JsonValueKind.Undefined ? null : entry.GetProperty("reachable").GetBoolean();
    }

    /// <summary>Whether a TCP connection from inside node <paramref name="from"/>'s namespace to the address opens (bash's /dev/tcp, 2 s).</summary>
    private static async Task<bool> ConnectsAsync(NetTopology topology, int from, string address, int port) =>
        (await Command.RunAsync("ip", ["netns", "exec", topology.Namespace(from), "timeout", "2", "bash", "-c", $"exec 3<>/dev/tcp/{address}/{port}"])).Ok;

    private static bool ConnectsFromRoot(string address, int port)
    {
        try
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            return tcp.ConnectAsync(address, port).Wait(TimeSpan.FromSeconds(2)) && tcp.Connected;
        }
        catch (AggregateException) { return false; }
    }

    private static async Task<List<string>> ExistingAsync(IEnumerable<string> names)
    {
        var namespaces = (await Command.RunAsync("ip", ["netns", "list"])).Output;
        var links = (await Command.RunAsync("ip", ["-o", "link", "show"])).Output;
        return names.Where(n => namespaces.Contains(n, StringComparison.Ordinal) || links.Contains($" {n}:", StringComparison.Ordinal) || links.Contains($" {n}@", StringComparison.Ordinal)).ToList();
    }
}
