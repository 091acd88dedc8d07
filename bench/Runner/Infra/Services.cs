using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ActorService.TestSupport;

namespace ActorService.Bench.Infra;

/// <summary>How the bench starts a node: the same launch the tests use, as in production (server GC, no test hooks).</summary>
internal static class BenchNodes
{
    public const string AdminToken = "bench-admin-token-0123456789abcdef";

    /// <summary>A node of its own (ports free, data in <paramref name="dataDir"/>), extra HOCON, PostgreSQL when given.</summary>
    public static NodeLaunch Launch(string dataDir, IReadOnlyList<string>? hocon = null, string? postgres = null) =>
        Tune(new NodeLaunch(Ports.Free(), Ports.Free(), dataDir)
        {
            AdminToken = AdminToken,
            Hocon = hocon ?? [],
            ExtraArgs = postgres is null ? [] : ["--postgres", postgres],
        });

    /// <summary>What every bench node shares: production settings, and a log tail in memory (a million requests' lines stay on disk).</summary>
    public static NodeLaunch Tune(NodeLaunch launch) => launch with
    {
        Environment = new Dictionary<string, string>(launch.Environment) { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
        LbDelay = "1s",
        TestHooks = false,
        WorkstationGc = false,
        LinesInMemory = 2000,
    };
}

/// <summary>A running HTTP server under test: a node or the baseline.</summary>
internal sealed class HttpService : IAsyncDisposable
{
    private static readonly HttpClient Control = new() { Timeout = TimeSpan.FromSeconds(5) };

    private HttpService(ChildProcess process, int port, NodeProcess? node)
    {
        Process = process;
        Port = port;
        Node = node;
    }

    public ChildProcess Process { get; }
    public NodeProcess? Node { get; }
    public string Name => Process.Name;
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public Uri Uri => new(Url + "/");

    public static HttpService StartNode(string name, NodeLaunch launch)
    {
        var node = NodeProcess.Start(launch, name);
        return new HttpService(node.Process, launch.HttpPort, node);
    }

    public static HttpService StartBaseline(BenchContext bench, string name, string logDir)
    {
        var port = Ports.Free();
        var process = ChildProcess.Run(new ChildStart(name, "dotnet", [bench.BaselineDll, "--http-port", port.ToString()], Path.Combine(logDir, name + ".log"))
        {
            LinesInMemory = 2000,
        });
        return new HttpService(process, port, null);
    }

    /// <summary>Waits for <c>/health/ready</c> = 200; fails with the log's tail if the process dies or the deadline passes.</summary>
    public async Task WaitReadyAsync(TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Process.HasExited)
                throw new BenchFailure($"{Name} exited with code {await Process.Exited} before it was ready; log {Process.LogPath}:\n{Process.Tail()}");
            try
            {
                using var response = await Control.GetAsync(Url + "/health/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (deadline.Elapsed > within)
                throw new BenchFailure($"{Name} not ready within {within.TotalSeconds:0} s; log {Process.LogPath}:\n{Process.Tail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>GET /admin/status (nodes only), on the node's management listener.</summary>
    public async Task<JsonElement> StatusAsync()
    {
        var node = Node ?? throw new InvalidOperationException($"{Name} is not a node: it has no /admin/status");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.ManagementUri, "admin/status"));
        request.Headers.Authorization = new("Bearer", BenchNodes.AdminToken);
        using var response = await Control.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<long> ActiveEntitiesAsync() => (await StatusAsync()).GetProperty("activeEntities").GetInt64();

    public async ValueTask DisposeAsync()
    {
        await Process.StopAsync(TimeSpan.FromSeconds(30));
        if (Node is not null) await Node.DisposeAsync();
        else await Process.DisposeAsync();
    }
}

/// <summary>A scenario could not run as specified: the run fails loudly with this message.</summary>
internal sealed class BenchFailure(string message) : Exception(message);
