using System.Net.Http.Headers;
using System.Text.Json;

namespace ActorService.TestSupport;

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

    private LocalCluster(string workDir, NodeLaunch[] launches)
    {
        WorkDir = workDir;
        _launches = launches;
        _nodes = new NodeProcess?[launches.Length];
        _generation = new int[launches.Length];
    }

    public string WorkDir { get; }
    public int Size => _launches.Length;
    public NodeLaunch Launch(int i) => _launches[i];
    public static string Name(int i) => $"node{i + 1}";

    /// <summary>The running process of slot <paramref name="i"/>.</summary>
    public NodeProcess this[int i] => _nodes[i] ?? throw new InvalidOperationException($"{Name(i)} is not running");
    public bool IsRunning(int i) => _nodes[i] is { HasExited: false };
    public IEnumerable<NodeProcess> Running => _nodes.Where(n => n is { HasExited: false })!;

    /// <summary>Where the shared database lives, for the report.</summary>
    public static string Database => UsesPostgres ? "postgres + redis" : "sqlite (shared file, WAL)";

    private static bool UsesPostgres => Environment.GetEnvironmentVariable(TestServices.PostgresVariable) is { Length: > 0 };

    /// <summary>Starts <paramref name="size"/> nodes at once and waits until each is ready and sees all of them Up.</summary>
    public static Task<LocalCluster> StartAsync(string name, int size, Func<NodeLaunch, NodeLaunch>? customize = null, TimeSpan? within = null) =>
        StartAsync(name, size, customize is null ? null : (_, l) => customize(l), within);

    /// <summary>As above; <paramref name="customize"/> gets each node's index (0-based) and its default launch.</summary>
    public static async Task<LocalCluster> StartAsync(string name, int size, Func<int, NodeLaunch, NodeLaunch>? customize, TimeSpan? within = null)
    {
        var dir = Repo.NewWorkDir(name);
        var data = Path.Combine(dir, "data");
        var ports = Enumerable.Range(0, size).Select(_ => (Http: Ports.Free(), Cluster: Ports.Free())).ToArray();
        var seeds = ports.Take(Math.Min(2, size)).Select(p => $"127.0.0.1:{p.Cluster}").ToArray();
        var postgres = UsesPostgres ? await TestServices.NewPostgresDatabase(name) : null;
        var launches = ports.Select((p, i) =>
        {
            var launch = new NodeLaunch(p.Http, p.Cluster, data)
            {
                Seeds = seeds,
                AdminToken = AdminToken,
                ExtraArgs = postgres is { Length: > 0 } ? ["--postgres", postgres, "--redis", TestServices.Redis] : [],
            };
            return customize is null ? launch : customize(i, launch);
        }).ToArray();
        var cluster = new LocalCluster(dir, launches);
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

    /// <summary>Waits until every running node reports <paramref name="count"/> members, all Up and reachable.</summary>
    public Task WaitMembersUpAsync(int count, TimeSpan within) =>
        Eventually.True(async () =>
        {
            foreach (var node in Running)
            {
                var members = (await StatusAsync(node)).GetProperty("members").EnumerateArray().ToList();
                if (members.Count != count || members.Any(m => m.GetProperty("status").GetString() != "Up" || !m.GetProperty("reachable").GetBoolean()))
                    return false;
            }
            return true;
        }, within, $"{count} members Up and reachable on every running node ({WorkDir})", TimeSpan.FromMilliseconds(250));

    /// <summary><c>GET /admin/status</c> of a node.</summary>
    public static async Task<JsonElement> StatusAsync(NodeProcess node)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await node.Http.SendAsync(request);
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
