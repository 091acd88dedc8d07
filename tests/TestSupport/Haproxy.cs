using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ActorService.TestSupport;

/// <summary>
/// One server behind HAProxy: a node's name (HAProxy's server name, also in <c>X-Served-By</c>), its public address, and
/// its management port, where HAProxy checks <c>/health/ready</c> (a full public port must not fail the check).
/// </summary>
public sealed record HaproxyServer(string Name, string Host, int Port, int ManagementPort)
{
    public static HaproxyServer Loopback(string name, int port, int managementPort) => new(name, "127.0.0.1", port, managementPort);

    /// <summary>The server for a node's launch: its public port for traffic, its management port for the checks.</summary>
    public static HaproxyServer Of(string name, NodeLaunch launch) => new(name, launch.Host, launch.HttpPort, launch.ManagementPort);
}

/// <summary>
/// One HAProxy configuration in front of local nodes, rendered from the repository's one template
/// (<c>deploy/local/haproxy.cfg.template</c>, shared with the bench and <c>deploy/local/cluster.sh</c>): round robin,
/// active health checks on <c>/health/ready</c> at each node's management port, keep-alive on both sides, <c>X-Served-By</c> on every answer. The two
/// presets are the issue's: <see cref="NoRetries"/> for rolling restarts (the node must never need the load balancer's
/// help) and <see cref="RetryConnectFailures"/> for kill -9 (a connection that could not be opened carried no request,
/// so retrying it elsewhere is safe).
/// </summary>
public sealed record HaproxyConfig(int FrontendPort, int StatsPort, IReadOnlyList<HaproxyServer> Servers)
{
    /// <summary>Health check period; a server goes down after <see cref="Fall"/> failed checks and up after <see cref="Rise"/> good ones.</summary>
    public string CheckInterval { get; init; } = "500ms";
    public int Fall { get; init; } = 2;
    public int Rise { get; init; } = 2;
    public int Retries { get; init; }
    /// <summary>HAProxy <c>retry-on</c> value; <c>none</c>: no retry conditions.</summary>
    public string RetryOn { get; init; } = "none";
    public bool Redispatch { get; init; }
    /// <summary>Longer than the node's request timeout, so HAProxy never answers 504 before the node answers.</summary>
    public string ServerTimeout { get; init; } = "20s";
    /// <summary>Where clients and the stats page connect (the root namespace's loopback).</summary>
    public string BindHost { get; init; } = "127.0.0.1";

    public static HaproxyConfig NoRetries(int frontendPort, int statsPort, IReadOnlyList<HaproxyServer> servers) =>
        new(frontendPort, statsPort, servers) { Retries = 0 };

    public static HaproxyConfig RetryConnectFailures(int frontendPort, int statsPort, IReadOnlyList<HaproxyServer> servers) =>
        new(frontendPort, statsPort, servers) { Retries = 3, RetryOn = "conn-failure", Redispatch = true };

    public static string TemplatePath => Path.Combine(Repo.Root, "deploy", "local", "haproxy.cfg.template");

    /// <summary>The template with this configuration's values in.</summary>
    public string Render() => HaproxyTemplate.Render(File.ReadAllText(TemplatePath), new Dictionary<string, string>
    {
        ["FRONTEND"] = $"{BindHost}:{FrontendPort}",
        ["STATS"] = $"{BindHost}:{StatsPort}",
        ["CHECK_INTERVAL"] = CheckInterval,
        ["FALL"] = Fall.ToString(CultureInfo.InvariantCulture),
        ["RISE"] = Rise.ToString(CultureInfo.InvariantCulture),
        ["SERVER_TIMEOUT"] = ServerTimeout,
        ["RETRIES"] = Retries.ToString(CultureInfo.InvariantCulture),
        ["RETRY_ON"] = RetryOn,
        ["REDISPATCH"] = Redispatch ? "1" : "0",
        ["SERVERS"] = string.Join("\n", Servers.Select(s => $"  server {s.Name} {s.Host}:{s.Port} check port {s.ManagementPort}")),
    });
}

/// <summary>Fills the template's <c>{{NAME}}</c> parameters; a parameter left unfilled, or a value for none, is an error.</summary>
public static partial class HaproxyTemplate
{
    [GeneratedRegex(@"\{\{([A-Z_]+)\}\}")]
    private static partial Regex Parameter();

    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var used = new HashSet<string>();
        var missing = new SortedSet<string>();
        var text = Parameter().Replace(template, m =>
        {
            var name = m.Groups[1].Value;
            if (!values.TryGetValue(name, out var value)) { missing.Add(name); return m.Value; }
            used.Add(name);
            return value;
        });
        if (missing.Count > 0) throw new ArgumentException($"haproxy template parameters without a value: {string.Join(", ", missing)}");
        var unknown = values.Keys.Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"values for parameters the haproxy template does not have: {string.Join(", ", unknown)}");
        return text;
    }
}

/// <summary>A real HAProxy process in the foreground (<c>haproxy -db</c>), started and stopped by PID, its log captured.</summary>
public sealed class HaproxyProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly HttpClient _stats;

    private HaproxyProcess(HaproxyConfig config, ChildProcess process)
    {
        Config = config;
        _process = process;
        _stats = new HttpClient { BaseAddress = new Uri($"http://{config.BindHost}:{config.StatsPort}/"), Timeout = TimeSpan.FromSeconds(2) };
    }

    public HaproxyConfig Config { get; }
    public string LogPath => _process.LogPath;
    public int Pid => _process.Pid;
    public Uri FrontendUri => new($"http://{Config.BindHost}:{Config.FrontendPort}/");

    public static async Task<HaproxyProcess> StartAsync(HaproxyConfig config, string workDir)
    {
        var cfgPath = Path.Combine(workDir, "haproxy.cfg");
        await File.WriteAllTextAsync(cfgPath, config.Render());
        var check = await Command.RunAsync("haproxy", ["-c", "-q", "-f", cfgPath]);
        if (check.Code != 0) throw new InvalidOperationException($"haproxy rejected {cfgPath}: {check.Output}");

        // Its request log goes to the file only: at thousands of requests a second, lines in memory would add up.
        var process = ChildProcess.Run(new ChildStart("haproxy", "haproxy", ["-db", "-f", cfgPath], Path.Combine(workDir, "haproxy.log"))
        {
            LinesInMemory = 200,
        });
        var haproxy = new HaproxyProcess(config, process);
        try
        {
            await Eventually.True(() =>
            {
                if (process.HasExited) throw new InvalidOperationException($"haproxy exited with {process.Exited.Result}:\n{process.Tail()}");
                return IsListening(config.BindHost, config.FrontendPort);
            }, TimeSpan.FromSeconds(10), $"haproxy to listen on {config.FrontendPort} (log: {process.LogPath})");
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }
        return haproxy;
    }

    /// <summary>Each backend server's state as HAProxy's health checks see it (UP, DOWN, "UP 1/2", ...).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ServerStatesAsync()
    {
        var csv = await _stats.GetStringAsync("stats;csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        int proxy = Array.IndexOf(header, "pxname"), server = Array.IndexOf(header, "svname"), status = Array.IndexOf(header, "status");
        return lines.Skip(1).Select(l => l.Split(','))
            .Where(f => f[proxy] == "nodes" && f[server] is not ("FRONTEND" or "BACKEND"))
            .ToDictionary(f => f[server], f => f[status]);
    }

    public Task WaitServerStateAsync(string server, string state, TimeSpan within) =>
        Eventually.True(async () => (await ServerStatesAsync()).GetValueOrDefault(server) == state, within,
            $"haproxy to see {server} {state} (log: {LogPath})", TimeSpan.FromMilliseconds(100));

    public async Task WaitAllUpAsync(TimeSpan within)
    {
        foreach (var server in Config.Servers) await WaitServerStateAsync(server.Name, "UP", within);
    }

    private static bool IsListening(string host, int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(host, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(5));
        await _process.DisposeAsync();
        _stats.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"haproxy :{Config.FrontendPort} → {string.Join(", ", Config.Servers.Select(s => $"{s.Name} {s.Host}:{s.Port}"))}");
}
