using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ActorService.TestSupport;

/// <summary>
/// One HAProxy configuration in front of local nodes: round robin over <see cref="Backends"/>, active health checks on
/// <c>/health/ready</c>, keep-alive on both sides. The two presets are the issue's: <see cref="NoRetries"/> for rolling
/// restarts (the node must never need the load balancer's help) and <see cref="RetryConnectFailures"/> for kill -9
/// (a connection that could not be opened carried no request, so retrying it elsewhere is safe).
/// </summary>
public sealed record HaproxyConfig(int FrontendPort, int StatsPort, IReadOnlyList<(string Name, int Port)> Backends)
{
    /// <summary>Health check period; a server goes down after <see cref="Fall"/> failed checks and up after <see cref="Rise"/> good ones.</summary>
    public string CheckInterval { get; init; } = "500ms";
    public int Fall { get; init; } = 2;
    public int Rise { get; init; } = 2;
    public int Retries { get; init; }
    /// <summary>HAProxy <c>retry-on</c> value; null: no retry conditions.</summary>
    public string? RetryOn { get; init; }
    public bool Redispatch { get; init; }
    /// <summary>Longer than the node's request timeout, so HAProxy never answers 504 before the node answers.</summary>
    public string ServerTimeout { get; init; } = "20s";

    public static HaproxyConfig NoRetries(int frontendPort, int statsPort, IReadOnlyList<(string, int)> backends) =>
        new(frontendPort, statsPort, backends) { Retries = 0 };

    public static HaproxyConfig RetryConnectFailures(int frontendPort, int statsPort, IReadOnlyList<(string, int)> backends) =>
        new(frontendPort, statsPort, backends) { Retries = 3, RetryOn = "conn-failure", Redispatch = true };

    public string Render()
    {
        var c = new StringBuilder();
        c.AppendLine("global");
        c.AppendLine("  maxconn 4096");
        c.AppendLine("  log stdout format raw local0 info");
        c.AppendLine("defaults");
        c.AppendLine("  mode http");
        c.AppendLine("  log global");
        c.AppendLine("  option httplog");
        c.AppendLine("  option http-keep-alive");
        c.AppendLine("  timeout connect 1s");
        c.AppendLine("  timeout client 30s");
        c.AppendLine($"  timeout server {ServerTimeout}");
        c.AppendLine("  timeout http-keep-alive 10s");
        c.AppendLine("  timeout check 1s");
        c.AppendLine($"  retries {Retries}");
        if (RetryOn is not null) c.AppendLine($"  retry-on {RetryOn}");
        c.AppendLine(Redispatch ? "  option redispatch 1" : "  no option redispatch");
        c.AppendLine("frontend ledger");
        c.AppendLine($"  bind 127.0.0.1:{FrontendPort}");
        c.AppendLine("  default_backend nodes");
        c.AppendLine("backend nodes");
        c.AppendLine("  balance roundrobin");
        c.AppendLine("  option httpchk GET /health/ready");
        c.AppendLine("  http-check expect status 200");
        c.AppendLine($"  default-server inter {CheckInterval} fall {Fall} rise {Rise}");
        foreach (var (name, port) in Backends) c.AppendLine($"  server {name} 127.0.0.1:{port} check");
        c.AppendLine("listen stats");
        c.AppendLine($"  bind 127.0.0.1:{StatsPort}");
        c.AppendLine("  stats enable");
        c.AppendLine("  stats uri /stats");
        return c.ToString();
    }
}

/// <summary>A real HAProxy process in the foreground (<c>haproxy -db</c>), started and stopped by PID, its log captured.</summary>
public sealed class HaproxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly HttpClient _stats;

    private HaproxyProcess(HaproxyConfig config, Process process, StreamWriter log, string logPath)
    {
        Config = config;
        _process = process;
        _log = log;
        LogPath = logPath;
        _stats = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{config.StatsPort}/"), Timeout = TimeSpan.FromSeconds(2) };
    }

    public HaproxyConfig Config { get; }
    public string LogPath { get; }
    public Uri FrontendUri => new($"http://127.0.0.1:{Config.FrontendPort}/");

    public static async Task<HaproxyProcess> StartAsync(HaproxyConfig config, string workDir)
    {
        var cfgPath = Path.Combine(workDir, "haproxy.cfg");
        await File.WriteAllTextAsync(cfgPath, config.Render());
        var check = await RunAsync("haproxy", "-c", "-q", "-f", cfgPath);
        if (check.Code != 0) throw new InvalidOperationException($"haproxy rejected {cfgPath}: {check.Output}");

        var logPath = Path.Combine(workDir, "haproxy.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var psi = new ProcessStartInfo("haproxy") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-db", "-f", cfgPath }) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (log) log.WriteLine(l); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var haproxy = new HaproxyProcess(config, process, log, logPath);
        await Eventually.True(() => !process.HasExited && IsListening(config.FrontendPort), TimeSpan.FromSeconds(10),
            $"haproxy to listen on {config.FrontendPort} (log: {logPath})");
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
        foreach (var (name, _) in Config.Backends) await WaitServerStateAsync(name, "UP", within);
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.SIGTERM);
            if (!_process.WaitForExit(5000)) Signals.Send(_process.Id, Signals.SIGKILL);
            await _process.WaitForExitAsync();
        }
        _stats.Dispose();
        lock (_log) _log.Dispose();
        _process.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"haproxy :{Config.FrontendPort} → {string.Join(", ", Config.Backends.Select(b => $"{b.Name}:{b.Port}"))}");
}
