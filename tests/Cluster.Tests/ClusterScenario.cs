using ActorService.TestSupport;

namespace ActorService.Cluster.Tests;

/// <summary>
/// The setting every cluster spec shares: three nodes (one database) behind HAProxy, an open-loop load of 300 req/s
/// through HAProxy (half deposits with unique keys, half reads, 1,000 accounts, all seeded first).
/// </summary>
public sealed class ClusterScenario : IAsyncDisposable
{
    /// <summary>HAProxy checks every 500 ms and needs 2 failures: readiness must be 503 for longer than that before intake closes.</summary>
    public const string LbDelay = "2s";
    public const int ShardCount = 100;
    public static readonly TimeSpan NodeRequestTimeout = TimeSpan.FromSeconds(10);

    private ClusterScenario(LocalCluster cluster, HaproxyProcess haproxy, OpenLoopLoad load)
    {
        Cluster = cluster;
        Haproxy = haproxy;
        Load = load;
    }

    public LocalCluster Cluster { get; }
    public HaproxyProcess Haproxy { get; }
    public OpenLoopLoad Load { get; }

    public static async Task<ClusterScenario> StartAsync(string name, Func<int, int, IReadOnlyList<(string, int)>, HaproxyConfig> haproxy,
        bool honourRetryAfter = false, int size = 3)
    {
        var cluster = await LocalCluster.StartAsync(name, size, l => l with { LbDelay = LbDelay });
        HaproxyProcess? proxy = null;
        try
        {
            var backends = Enumerable.Range(0, size).Select(i => (LocalCluster.Name(i), cluster.Launch(i).HttpPort)).ToList();
            proxy = await HaproxyProcess.StartAsync(haproxy(Ports.Free(), Ports.Free(), backends), cluster.WorkDir);
            await proxy.WaitAllUpAsync(TimeSpan.FromSeconds(30));
            var load = new OpenLoopLoad(new LoadOptions(proxy.FrontendUri) { HonourRetryAfter = honourRetryAfter });
            await load.SeedAccountsAsync();
            return new ClusterScenario(cluster, proxy, load);
        }
        catch
        {
            if (proxy is not null) await proxy.DisposeAsync();
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until the load has completed <paramref name="requests"/> more requests (answered or failed): the steady
    /// state before an event, or traffic through the changed cluster after it, counted in requests rather than slept
    /// for. The deadline allows the load a third of its rate, plus 10 s.
    /// </summary>
    public Task LoadCompletes(int requests, string what)
    {
        var from = Load.Records.Count;
        var within = TimeSpan.FromSeconds(3.0 * requests / Load.Options.RatePerSecond + 10);
        return Eventually.True(() => Load.Records.Count - from >= requests, within, $"{requests} more requests through the cluster: {what}",
            TimeSpan.FromMilliseconds(100));
    }

    public string Context() => $"work dir {Cluster.WorkDir}; haproxy log {Haproxy.LogPath}\n{Cluster.Tails(25)}";

    public async ValueTask DisposeAsync()
    {
        await Load.DisposeAsync();
        await Haproxy.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
