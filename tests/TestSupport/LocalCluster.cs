using System.Net.Http.Headers;
using System.Text.Json;

namespace ActorService.TestSupport;

/// <summary>Where a cluster keeps its ledger: the SQLite file in the shared data folder, or PostgreSQL (+ Redis for the cache and event stream).</summary>
public sealed record ClusterStorage(string? Postgres, string? Redis)
{
    public static ClusterStorage Sqlite { get; } = new(null, null);
    public bool IsPostgres => Postgres is not null;
    public override string ToString() => IsPostgres ? "postgres + redis" : "sqlite (shared file, WAL)";
}

/// <summary>
/// N real node processes on 127.0.0.1 forming one cluster from a seed list (the first two nodes), sharing one
/// database: with the private test servers running (the README's test command starts them), the clustered setup
/// users run — a fresh PostgreSQL database (<c>--postgres</c>) and the private Redis for the snapshot cache and the
/// event stream (<c>--redis</c>; keys are scoped by the ledger's id, so clusters of other specs do not meet); otherwise
/// the SQLite file in a shared data folder (WAL, several processes on one machine). Each slot keeps its ports across restarts, like a pod that comes
/// back with the same address.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string AdminToken = "cluster-test-admin-0123456789abcdef";

    private readonly NodeLaunch[] _launches;
    private readonly NodeProcess?[] _nodes;
    private readonly int[] _generation;
    private readonly List<NodeProcess> _all = [];

    private LocalCluster(string workDir, NodeLaunch[] launches, ClusterStorage storage)
    {
        WorkDir = workDir;
        Storage = storage;
        _launches = launches;
        _nodes = new NodeProcess?[launches.Length];
        _generation = new int[launches.Length];
    }

    public string WorkDir { get; }
    public ClusterStorage Storage { get; }
    /// <summary>The SQLite file the nodes share (when they do not use PostgreSQL).</summary>
    public string SqlitePath => Path.Combine(WorkDir, "data", "ledger.db");
    public int Size => _launches.Length;
    public NodeLaunch Launch(int i) => _launches[i];
    public static string Name(int i) => $"node{i + 1}";

    /// <summary>The running process of slot <paramref name="i"/>.</summary>
    public NodeProcess this[int i] => _nodes[i] ?? throw new InvalidOperationException($"{Name(i)} is not running");
    public bool IsRunning(int i) => _nodes[i] is { HasExited: false };
    public IEnumerable<NodeProcess> Running => _nodes.Where(n => n is { HasExited: false })!;

    /// <summary>Where the shared database of a cluster started with the default storage lives, for the report.</summary>
    public static string Database => UsesPostgres ? "postgres + redis" : "sqlite (shared file, WAL)";

    /// <summary>Reads this cluster's ledger straight from its database, for the history checker.</summary>
    public ILedgerReader LedgerReader() => Storage.Postgres is { } pg ? new PostgresLedgerReader(pg) : new SqliteLedgerReader(SqlitePath);

    private static bool UsesPostgres => Environment.GetEnvironmentVariable(TestServices.PostgresVariable) is { Length: > 0 };

    /// <summary>Starts <paramref name="size"/> nodes at once and waits until each is ready and sees all of them Up.</summary>
    public static Task<LocalCluster> StartAsync(string name, int size, Func<NodeLaunch, NodeLaunch>? customize = null, TimeSpan? within = null) =>
        StartAsync(name, size, customize is null ? null : (_, l) => customize(l), within);

    /// <summary>
    /// As above; <paramref name="customize"/> gets each node's index (0-based) and its default launch. The work folder
    /// is a fresh one under .test-work unless <paramref name="workDir"/> says where; the storage is the private test
    /// servers' (a fresh database) when they run, else SQLite, unless <paramref name="storage"/> says which; nodes live
    /// on 127.0.0.1 unless <paramref name="hostOf"/> gives each its address (a network namespace's).
    /// </summary>
    public static async Task<LocalCluster> StartAsync(string name, int size, Func<int, NodeLaunch, NodeLaunch>? customize, TimeSpan? within = null,
        string? workDir = null, ClusterStorage? storage = null, Func<int, string>? hostOf = null)
    {
        var dir = workDir ?? Repo.NewWorkDir(name);
        var data = Path.Combine(dir, "data");
        var host = hostOf ?? (_ => "127.0.0.1");
        var ports = Enumerable.Range(0, size).Select(_ => (Http: Ports.Free(), Cluster: Ports.Free())).ToArray();
        var seeds = ports.Take(Math.Min(2, size)).Select((p, i) => $"{host(i)}:{p.Cluster}").ToArray();
        storage ??= UsesPostgres ? new ClusterStorage(await TestServices.NewPostgresDatabase(name), TestServices.Redis) : ClusterStorage.Sqlite;
        var launches = ports.Select((p, i) =>
        {
            var launch = new NodeLaunch(p.Http, p.Cluster, data)
            {
                Seeds = seeds,
                AdminToken = AdminToken,
                Host = host(i),
                ExtraArgs = storage.Postgres is { } pg ? ["--postgres", pg, .. storage.Redis is { } redis ? new[] { "--redis", redis } : []] : [],
            };
            return customize is null ? launch : customize(i, launch);
        }).ToArray();
        var cluster = new LocalCluster(dir, launches, storage);
        try
        {
            for (var i = 0; i < size; i++) cluster.StartSlot(i);
            var wait = within ?? TimeSpan.FromSeconds(90);
            await Task.WhenAll(Enumerable.Range(0, size).Select(i => cluster[i].WaitReadyAsync(wait)));
            await cluster.WaitMembersUpAsync(size, wait);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private NodeProcess StartSlot(int i, Func<NodeLaunch, NodeLaunch>? change = null)
    {
        if (change is not null) _launches[i] = change(_launches[i]);
        var generation = ++_generation[i];
        var node = NodeProcess.Start(_launches[i], generation == 1 ? Name(i) : $"{Name(i)}.{generation}");
        _nodes[i] = node;
        lock (_all) _all.Add(node);
        return node;
    }

    /// <summary>Starts slot <paramref name="i"/> again (same ports, same database), optionally changed (a new app version), and waits until it is ready.</summary>
    public async Task<NodeProcess> RestartAsync(int i, Func<NodeLaunch, NodeLaunch>? change = null, TimeSpan? within = null)
    {
        if (IsRunning(i)) throw new InvalidOperationException($"{Name(i)} is still running (pid {this[i].Pid})");
        var node = StartSlot(i, change);
        await node.WaitReadyAsync(within ?? TimeSpan.FromSeconds(60));
        return node;
    }

    /// <summary>
    /// Starts slot <paramref name="i"/> again at a new cluster address, joining through the members that run, as a pod of
    /// a Kubernetes rolling update does (a new pod, a new IP; deploy/k8s); HTTP and management ports stay, so HAProxy is
    /// unchanged. Restarting in place instead (same host and port, a new incarnation) meets a race in Akka.NET's classic
    /// remoting, seen three times in two clean-clone runs: the oldest node handed the new incarnation's inbound
    /// connection to an endpoint writer that had just stopped ("Message [Handle] to …endpointWriter… was not
    /// delivered"), the two could not reach each other, and the resolver downed both (docs/faults.md, "What the specs
    /// found"). The kill -9, freeze and rejoin specs still restart in place (<see cref="RestartAsync"/>).
    /// </summary>
    public Task<NodeProcess> RestartAtNewAddressAsync(int i, Func<NodeLaunch, NodeLaunch>? change = null, TimeSpan? within = null)
    {
        var seeds = Running.Select(n => n.Launch.SeedAddress).ToArray();
        return RestartAsync(i, l => (change is null ? l : change(l)) with { ClusterPort = Ports.Free(), Seeds = seeds }, within);
    }

    /// <summary>Waits until every running node reports <paramref name="count"/> members, all Up and reachable.</summary>
    public async Task WaitMembersUpAsync(int count, TimeSpan within)
    {
        var lastView = "";
        try
        {
            await Eventually.True(async () =>
            {
                var views = new List<string>();
                var allUp = true;
                foreach (var node in Running)
                {
                    var members = (await StatusAsync(node)).GetProperty("members").EnumerateArray().ToList();
                    views.Add($"{node.Name} sees " + string.Join(", ", members.Select(m =>
                        $"{m.GetProperty("address").GetString()} {m.GetProperty("status").GetString()}{(m.GetProperty("reachable").GetBoolean() ? "" : " unreachable")}")));
                    allUp &= members.Count == count && members.All(m => m.GetProperty("status").GetString() == "Up" && m.GetProperty("reachable").GetBoolean());
                }
                lastView = string.Join("; ", views);
                return allUp;
            }, within, $"{count} members Up and reachable on every running node ({WorkDir})", TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException e)
        {
            // Which node saw what last: a member missing, still joining, or unreachable from one side only.
            throw new TimeoutException($"{e.Message}; last seen: {(lastView.Length > 0 ? lastView : "no node answered")}", e);
        }
    }

    /// <summary><c>GET /admin/status</c> of a node.</summary>
    public static async Task<JsonElement> StatusAsync(NodeProcess node)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await node.Management.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>How many account shards the node hosts (from <c>/admin/status</c>); -1 when its region did not answer.</summary>
    public static async Task<int> ShardCountAsync(NodeProcess node)
    {
        var shards = (await StatusAsync(node)).GetProperty("shards");
        return shards.ValueKind == JsonValueKind.Number ? shards.GetInt32() : -1;
    }

    public string Tails(int lines = 40) =>
        string.Join("\n", _nodes.Where(n => n is not null).Select(n => $"--- {n!.Name} ({n.LogPath})\n{n.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        List<NodeProcess> all;
        lock (_all) all = [.. _all];
        await Task.WhenAll(all.Select(n => n.DisposeAsync().AsTask()));
    }
}
