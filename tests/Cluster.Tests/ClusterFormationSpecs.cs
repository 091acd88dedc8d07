using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>Nodes on one machine form one cluster, from a seed list or through cluster bootstrap, and share one database.</summary>
public sealed class ClusterFormationSpecs
{
    [Fact]
    public async Task Should_form_one_cluster_sharing_one_database_when_three_nodes_start_from_a_seed_list()
    {
        var management = Ports.Free();
        var started = DateTime.Now; // the nodes' log stamps are local wall-clock times
        // node1 also hosts the bootstrap route on its management listener (actor-service.cluster.management = on), the others do not.
        await using var cluster = await LocalCluster.StartAsync("seeds", 3,
            (i, l) => i == 0 ? l with { ManagementPort = management, Hocon = [.. l.Hocon, "actor-service.cluster.management = on"] } : l);

        var written = new Dictionary<string, long>();
        for (var i = 0; i < 30; i++)
        {
            var id = $"formation-{i % 10}";
            var answer = await cluster[0].Http.Deposit(id, i + 1, key: $"formation-k{i}");
            Assert.True(answer.Status == HttpStatusCode.OK, $"deposit to {id} through node1: {answer}");
            written[id] = answer.Balance;
        }
        foreach (var reader in new[] { cluster[1], cluster[2] })
            foreach (var (id, balance) in written)
            {
                var read = await reader.Http.GetAccount(id);
                Assert.True(read.Status == HttpStatusCode.OK && read.Balance == balance, $"{id} read through {reader.Name}: {read}, written {balance}");
            }

        using var probe = NodeProcess.NewClient(new Uri($"http://127.0.0.1:{management}/"));
        var seeds = await SeedNodesAsync(probe);
        Assert.Equal(3, seeds.GetProperty("Nodes").GetArrayLength());
        Assert.Equal(cluster.Launch(0).ClusterPort, seeds.GetProperty("SelfNode").GetProperty("Port").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[0].Http.GetAsync("bootstrap/seed-nodes")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await probe.GetAsync($"accounts/{written.Keys.First()}")).StatusCode);
        Assert.Contains(cluster[1].Lines, l => l.Contains("Cluster formation: seed nodes", StringComparison.Ordinal));
        Assert.Contains(cluster[1].Lines, l => l.Contains("Ledger check passed", StringComparison.Ordinal));

        // Started together, the others are members soon after node1 forms the cluster, not a seed-node-timeout (5 s) later.
        var formed = LogTimeline.SecondsUntil([cluster[0]], started, "is JOINING itself");
        Assert.True(formed is not null, $"node1 never logged forming the cluster (log: {cluster[0].LogPath})");
        foreach (var other in new[] { cluster[1], cluster[2] })
        {
            var welcomed = LogTimeline.SecondsUntil([other], started, "Welcome from");
            Assert.True(welcomed is not null && welcomed - formed <= WelcomedWithin.TotalSeconds,
                $"{other.Name} was welcomed {LogTimeline.Format(welcomed)} after the start, node1 formed the cluster {LogTimeline.Format(formed)} after it (bound {WelcomedWithin.TotalMilliseconds} ms between them)\n{cluster.Tails(15)}");
        }
    }

    /// <summary>Half of Akka's seed-node-timeout: a node that asked before node1 had formed the cluster asks again within a second.</summary>
    private static readonly TimeSpan WelcomedWithin = TimeSpan.FromSeconds(2.5);

    [Fact]
    public async Task Should_form_one_cluster_through_cluster_bootstrap_when_discovery_is_kubernetes()
    {
        // Everything of the Kubernetes path runs except the pod lookup: Akka's config discovery answers it with the
        // three management endpoints, as the Kubernetes API would with the three pods.
        var management = Enumerable.Range(0, 3).Select(_ => Ports.Free()).ToArray();
        var endpoints = string.Join(", ", management.Select(p => $"\"127.0.0.1:{p}\""));
        await using var cluster = await LocalCluster.StartAsync("bootstrap", 3, (i, l) => l with
        {
            Seeds = [],
            ExtraArgs = [.. l.ExtraArgs, "--discovery", "kubernetes", "--required-contact-points", "3"],
            ManagementPort = management[i],
            Hocon = ["akka.discovery.method = config", $"akka.discovery.config.services.actorservice.endpoints = [{endpoints}]"],
        }, TimeSpan.FromSeconds(120));

        var lowest = Array.IndexOf(management, management.Min());
        Assert.Contains(cluster[lowest].Lines, l => l.Contains("Initiating new cluster, self-joining", StringComparison.Ordinal));
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains(cluster[i].Lines, l => l.Contains("Cluster bootstrap started (config discovery)", StringComparison.Ordinal));
            Assert.DoesNotContain(cluster[i].Lines, l => l.Contains("Cluster formation: seed nodes", StringComparison.Ordinal));
            // The bootstrap's join decider asks the ledger check before it joins the cluster the lowest pod formed.
            if (i != lowest) Assert.Contains(cluster[i].Lines, l => l.Contains("Ledger check passed", StringComparison.Ordinal));
            using var probe = NodeProcess.NewClient(new Uri($"http://127.0.0.1:{management[i]}/"));
            Assert.Equal(3, (await SeedNodesAsync(probe)).GetProperty("Nodes").GetArrayLength());
        }
        var answer = await cluster[2].Http.Deposit("bootstrapped", 5, key: "bootstrapped-1");
        Assert.True(answer.Status == HttpStatusCode.OK, $"deposit through node3 of the bootstrapped cluster: {answer}");
    }

    private static async Task<JsonElement> SeedNodesAsync(HttpClient management)
    {
        var response = await management.GetAsync("bootstrap/seed-nodes");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /bootstrap/seed-nodes: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
