using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace ActorService.Bench.Infra;

/// <summary>How one ActorService node is started: the same flags the tests and the deployment use.</summary>
internal sealed record NodeSpec(string Name, int HttpPort, int ClusterPort, string DataDir)
{
    public const string AdminToken = "bench-admin-token-0123456789abcdef";
    public IReadOnlyList<int> SeedPorts { get; init; } = [];
    public string LbDelay { get; init; } = "1s";
    /// <summary>Extra HOCON, e.g. <c>actor-service.db.group-commit.max-batch = 1</c>.</summary>
    public IReadOnlyList<string> Hocon { get; init; } = [];
    public string? Postgres { get; init; }
    public string? ReportPath { get; init; }

    public IEnumerable<string> Args()
    {
        yield return "--http-port"; yield return HttpPort.ToString();
        yield return "--cluster-port"; yield return ClusterPort.ToString();
        yield return "--data-dir"; yield return DataDir;
        yield return "--lb-delay"; yield return LbDelay;
        yield return "--admin-token"; yield return AdminToken;
        if (SeedPorts.Count > 0) { yield return "--seeds"; yield return string.Join(',', SeedPorts.Select(p => $"127.0.0.1:{p}")); }
        if (ReportPath is not null) { yield return "--report-path"; yield return ReportPath; }
        if (Postgres is not null) { yield return "--postgres"; yield return Postgres; }
        if (Hocon.Count > 0) { yield return "--hocon"; yield return string.Join('\n', Hocon); }
    }
}

/// <summary>A running HTTP server under test: a node or the baseline.</summary>
internal sealed class HttpService(ServiceProcess process, int port, NodeSpec? spec) : IAsyncDisposable
{
    private static readonly HttpClient Control = new() { Timeout = TimeSpan.FromSeconds(5) };

    public ServiceProcess Process { get; } = process;
    public string Name => Process.Name;
    public int Port { get; } = port;
    public NodeSpec? Spec { get; } = spec;
    public string Url => $"http://127.0.0.1:{Port}";

    public static HttpService StartNode(BenchContext bench, NodeSpec spec, string logDir)
    {
        Directory.CreateDirectory(spec.DataDir);
        var process = ServiceProcess.Start(bench, spec.Name, "dotnet", spec.Args().Prepend(bench.NodeDll), Path.Combine(logDir, spec.Name + ".log"));
        return new HttpService(process, spec.HttpPort, spec);
    }

    public static HttpService StartBaseline(BenchContext bench, string name, string logDir)
    {
        var port = bench.FreePort();
        var process = ServiceProcess.Start(bench, name, "dotnet", [bench.BaselineDll, "--http-port", port.ToString()], Path.Combine(logDir, name + ".log"));
        return new HttpService(process, port, null);
    }

    /// <summary>Waits for <c>/health/ready</c> = 200; fails with the log's tail if the process dies or the deadline passes.</summary>
    public async Task WaitReadyAsync(TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Process.HasExited)
                throw new BenchFailure($"{Name} exited with code {Process.ExitCode} before it was ready; log {Process.LogPath}:\n{Process.Tail()}");
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

    /// <summary>GET /admin/status (nodes only).</summary>
    public async Task<JsonElement> StatusAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url + "/admin/status");
        request.Headers.Authorization = new("Bearer", NodeSpec.AdminToken);
        using var response = await Control.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<long> ActiveEntitiesAsync() => (await StatusAsync()).GetProperty("activeEntities").GetInt64();

    public async Task<int> MembersUpAsync() =>
        (await StatusAsync()).GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up");

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

/// <summary>A scenario could not run as specified: the run fails loudly with this message.</summary>
internal sealed class BenchFailure(string message) : Exception(message);
