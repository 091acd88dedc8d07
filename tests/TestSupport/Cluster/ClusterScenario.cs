namespace ActorService.TestSupport;

/// <summary>
/// The setting the cluster specs and the bench share: nodes (one database) behind HAProxy, an open-loop load of
/// 300 req/s through HAProxy (half deposits with unique keys, half reads, 1,000 accounts, all seeded first), sent by
/// the client the scenario names (the ordinary one unless it says otherwise).
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

    /// <summary>Starts the cluster, HAProxy (a preset such as <see cref="HaproxyConfig.NoRetries"/>) and the load's client, and seeds the accounts.</summary>
    public static async Task<ClusterScenario> StartAsync(string name, Func<int, int, IReadOnlyList<HaproxyServer>, HaproxyConfig> haproxy,
        ClientModel client, int size = 3, Func<int, NodeLaunch, NodeLaunch>? customize = null, Func<LoadOptions, LoadOptions>? load = null,
        string? workDir = null, ClusterStorage? storage = null, Func<int, string>? hostOf = null)
    {
        var cluster = await LocalCluster.StartAsync(name, size, (i, l) =>
        {
            var launch = l with { LbDelay = LbDelay };
            return customize is null ? launch : customize(i, launch);
        }, workDir: workDir, storage: storage, hostOf: hostOf);
        HaproxyProcess? proxy = null;
        try
        {
            var servers = Enumerable.Range(0, size).Select(i => HaproxyServer.Of(LocalCluster.Name(i), cluster.Launch(i))).ToList();
            proxy = await HaproxyProcess.StartAsync(haproxy(Ports.Free(), Ports.Free(), servers), cluster.WorkDir);
            await proxy.WaitAllUpAsync(TimeSpan.FromSeconds(30));
            var options = new LoadOptions(proxy.FrontendUri) { Client = client };
            var openLoop = new OpenLoopLoad(load is null ? options : load(options));
            await openLoop.SeedAccountsAsync();
            return new ClusterScenario(cluster, proxy, openLoop);
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

    /// <summary>The history of everything the load's client sent (seeding included), checked against the cluster's database.</summary>
    public async Task<HistoryReport> CheckHistoryAsync(bool resolveUnknown = true)
    {
        var history = History.From(Load.Records);
        if (resolveUnknown)
        {
            using var client = NodeProcess.NewClient(Haproxy.FrontendUri, TimeSpan.FromSeconds(5));
            await HistoryChecker.ResolveUnknownAsync(history, client, () => Load.Now);
        }
        return await HistoryChecker.CheckAsync(history, Cluster.LedgerReader());
    }

    public string Context() => $"work dir {Cluster.WorkDir}; haproxy log {Haproxy.LogPath}\n{Cluster.Tails(25)}";

    public async ValueTask DisposeAsync()
    {
        await Load.DisposeAsync();
        await Haproxy.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
