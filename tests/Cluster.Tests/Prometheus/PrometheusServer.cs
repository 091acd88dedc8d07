using System.Globalization;
using System.Net;
using System.Text.Json;
using ActorService.TestSupport;

namespace ActorService.Cluster.Tests.Prometheus;

/// <summary>
/// A real Prometheus (Debian's package) on a free loopback port with its own data folder, started on a rendered
/// configuration through TestSupport's launcher and stopped with SIGTERM (SIGKILL if it lingers). The HTTP API calls the specs need: instant and
/// range queries and the rules with their evaluation health.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly HttpClient _http;

    private PrometheusServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }
    public string LogPath => _process.LogPath;

    public static async Task<PrometheusServer> StartAsync(string config, string workDir)
    {
        var configPath = Path.Combine(workDir, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);
        var port = Ports.Free();
        ChildProcess process;
        try
        {
            process = ChildProcess.Run(new ChildStart("prometheus", "prometheus",
            [
                $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(workDir, "prometheus-data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d", "--log.level=warn",
            ], Path.Combine(workDir, "prometheus.log")));
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException("prometheus did not start (is Debian's prometheus package installed?)", e);
        }
        var server = new PrometheusServer(process, port);
        var logPath = process.LogPath;
        await Eventually.True(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"prometheus exited with code {await process.Exited}; log: {logPath}");
            try { return (await server._http.GetAsync("-/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(30), $"prometheus on port {port} to be ready (log: {logPath})", TimeSpan.FromMilliseconds(100));
        return server;
    }

    /// <summary><c>/api/v1/query</c>: the result vector; throws with Prometheus' error when the query fails.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string expr)
    {
        var data = await GetDataAsync($"api/v1/query?query={Uri.EscapeDataString(expr)}", expr);
        if (data.GetProperty("resultType").GetString() is not "vector")
            throw new InvalidOperationException($"query '{expr}' returned a {data.GetProperty("resultType").GetString()}, not a vector");
        return data.GetProperty("result").EnumerateArray()
            .Select(r => ((IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                ParseValue(r.GetProperty("value")[1].GetString()!)))
            .ToList();
    }

    /// <summary><c>/api/v1/query_range</c>: the <c>data</c> object as Prometheus returns it (a matrix).</summary>
    public Task<JsonElement> QueryRangeAsync(string expr, DateTimeOffset start, DateTimeOffset end, TimeSpan step) =>
        GetDataAsync(string.Create(CultureInfo.InvariantCulture,
            $"api/v1/query_range?query={Uri.EscapeDataString(expr)}&start={start.ToUnixTimeMilliseconds() / 1000.0}&end={end.ToUnixTimeMilliseconds() / 1000.0}&step={step.TotalSeconds}"), expr);

    /// <summary><c>/api/v1/rules</c>: every rule with its query, evaluation health, last error and alert state.</summary>
    public async Task<IReadOnlyList<LoadedRule>> RulesAsync()
    {
        var data = await GetDataAsync("api/v1/rules", "rules");
        return data.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray().Select(r => new LoadedRule(
            r.GetProperty("name").GetString()!, r.GetProperty("query").GetString()!, r.GetProperty("health").GetString()!,
            r.TryGetProperty("lastError", out var e) ? e.GetString() : null, r.TryGetProperty("state", out var s) ? s.GetString() : null,
            r.TryGetProperty("lastEvaluation", out var at) ? at.GetDateTimeOffset() : DateTimeOffset.MinValue))).ToList();
    }

    /// <summary>One loaded rule as Prometheus reports it.</summary>
    public sealed record LoadedRule(string Name, string Query, string Health, string? LastError, string? State, DateTimeOffset LastEvaluation);

    private async Task<JsonElement> GetDataAsync(string path, string what)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        if (doc.RootElement.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"prometheus answered {(int)response.StatusCode} to {what}: {body}");
        return doc.RootElement.GetProperty("data").Clone();
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, "NaN" => double.NaN,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
    }
}
