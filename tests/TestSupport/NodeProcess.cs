using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace ActorService.TestSupport;

/// <summary>How to start one node: exactly the flags a user (or the cluster script) would pass.</summary>
public sealed record NodeLaunch(int HttpPort, int ClusterPort, string DataDir)
{
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public string? AdminToken { get; init; }
    public string LbDelay { get; init; } = "200ms";
    public bool TestHooks { get; init; } = true;
    public string? ReportPath { get; init; }
    public string? AppVersion { get; init; }
    /// <summary>--log-level; null leaves the level to the configuration file.</summary>
    public string? LogLevel { get; init; }
    public string? LogFormat { get; init; }
    /// <summary>Extra HOCON passed with --hocon (any setting without its own flag).</summary>
    public IReadOnlyList<string> Hocon { get; init; } = [];
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public static NodeLaunch Single(string dataDir) => new(Ports.Free(), Ports.Free(), dataDir);

    /// <summary>The clustered storage: PostgreSQL (--postgres) and Redis for the cache and the event stream (--redis).</summary>
    public NodeLaunch WithPostgresAndRedis(string postgres, string redis) =>
        this with { ExtraArgs = [.. ExtraArgs, "--postgres", postgres, "--redis", redis] };

    public IEnumerable<string> Args()
    {
        yield return "--http-port"; yield return HttpPort.ToString();
        yield return "--cluster-port"; yield return ClusterPort.ToString();
        yield return "--data-dir"; yield return DataDir;
        yield return "--lb-delay"; yield return LbDelay;
        if (LogLevel is not null) { yield return "--log-level"; yield return LogLevel; }
        if (Seeds.Count > 0) { yield return "--seeds"; yield return string.Join(",", Seeds); }
        if (AdminToken is not null) { yield return "--admin-token"; yield return AdminToken; }
        if (TestHooks) yield return "--allow-test-hooks";
        if (ReportPath is not null) { yield return "--report-path"; yield return ReportPath; }
        if (AppVersion is not null) { yield return "--app-version"; yield return AppVersion; }
        if (LogFormat is not null) { yield return "--log-format"; yield return LogFormat; }
        if (Hocon.Count > 0) { yield return "--hocon"; yield return string.Join("\n", Hocon); }
        foreach (var a in ExtraArgs) yield return a;
    }
}

/// <summary>
/// A real node process (dotnet ActorService.Node.dll) with its log captured. Tests talk to it over HTTP on
/// 127.0.0.1, send it real signals by PID, and kill it if a test leaves it running.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(NodeLaunch launch, string name, Process process, StreamWriter log)
    {
        Launch = launch;
        Name = name;
        _process = process;
        _log = log;
        Http = NewClient(BaseUri);
    }

    public NodeLaunch Launch { get; }
    public string Name { get; }
    public int Pid => _process.Id;
    public Uri BaseUri => new($"http://127.0.0.1:{Launch.HttpPort}/");
    public HttpClient Http { get; }
    public string LogPath => Path.Combine(Launch.DataDir, $"{Name}.log");
    public IReadOnlyCollection<string> Lines => _lines;
    public bool HasExited => _exited.Task.IsCompleted;
    public Task<int> Exited => _exited.Task;

    public static HttpClient NewClient(Uri baseUri, TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            BaseAddress = baseUri,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };

    /// <summary>The host environment test nodes run in unless their launch sets ASPNETCORE_ENVIRONMENT.</summary>
    public const string TestEnvironment = "Testing";

    public static NodeProcess Start(NodeLaunch launch, string name = "node")
    {
        if (!File.Exists(Repo.NodeDll)) throw new FileNotFoundException("Build the solution first: node binary missing", Repo.NodeDll);
        Directory.CreateDirectory(launch.DataDir);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Repo.NodeDll);
        foreach (var a in launch.Args()) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0"; // several nodes share two cores in tests
        // Test nodes run in a non-Production environment (test hooks are refused in Production); a launch may say otherwise.
        psi.Environment.Remove("DOTNET_ENVIRONMENT");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = TestEnvironment;
        foreach (var (k, v) in launch.Environment) psi.Environment[k] = v;

        var log = new StreamWriter(Path.Combine(launch.DataDir, $"{name}.log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        NodeProcess? node = null;
        process.OutputDataReceived += (_, e) => node?.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => node?.Capture(e.Data);
        process.Exited += (_, _) => node?.OnExit();
        node = new NodeProcess(launch, name, process, log);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public static async Task<NodeProcess> StartReadyAsync(NodeLaunch launch, string name = "node", TimeSpan? within = null)
    {
        var node = Start(launch, name);
        await node.WaitReadyAsync(within ?? TimeSpan.FromSeconds(60));
        return node;
    }

    private void Capture(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        lock (_log) _log.WriteLine(line);
    }

    private void OnExit()
    {
        // Let the output readers finish before reporting the exit, so the last log lines are there.
        _process.WaitForExit();
        _exited.TrySetResult(_process.ExitCode);
    }

    public async Task WaitReadyAsync(TimeSpan within)
    {
        using var probe = NewClient(BaseUri, TimeSpan.FromSeconds(2));
        await Eventually.True(async () =>
        {
            if (HasExited) throw new InvalidOperationException($"{Name} exited with code {await Exited} before it was ready; log: {LogPath}\n{Tail()}");
            try { return (await probe.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, within, $"{Name} on port {Launch.HttpPort} to become ready (log: {LogPath})", TimeSpan.FromMilliseconds(100));
    }

    public void Signal(int signal) => Signals.Send(Pid, signal);

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        var done = await Task.WhenAny(_exited.Task, Task.Delay(within));
        if (done != _exited.Task) throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {within.TotalSeconds:0} s; log: {LogPath}\n{Tail()}");
        return await _exited.Task;
    }

    /// <summary>Waits until a log line matches, and returns it.</summary>
    public Task<string> WaitForLogAsync(Func<string, bool> match, TimeSpan within, string what) =>
        Eventually.Get(() => Task.FromResult(_lines.FirstOrDefault(match)), within, $"{Name} to log {what} (log: {LogPath})");

    public string Tail(int lines = 30) => string.Join('\n', _lines.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            try { Signal(Signals.SIGKILL); } catch (InvalidOperationException) { /* already gone */ }
            await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        }
        Http.Dispose();
        lock (_log) _log.Dispose();
        _process.Dispose();
    }
}
