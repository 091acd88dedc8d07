using System.Net;

namespace ActorService.TestSupport;

/// <summary>How to start one node: exactly the flags a user (or the cluster script) would pass.</summary>
public sealed record NodeLaunch(int HttpPort, int ClusterPort, string DataDir)
{
    /// <summary>The management listener (--management-port): probes, /admin, /metrics, test hooks. A free port per launch.</summary>
    public int ManagementPort { get; init; } = Ports.Free();
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
    /// <summary>The address the node listens on and advertises (HTTP and remoting): a namespace's address for network faults.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>What the process is started through: <c>ip netns exec</c>, a cgroup (see <see cref="ChildStart.Wrapper"/>).</summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];
    /// <summary>Workstation GC: several nodes share two cores in tests; the bench measures the node's own setting (server GC).</summary>
    public bool WorkstationGc { get; init; } = true;
    /// <summary>Output lines kept in memory (all when null); the bench's million-request runs keep a tail.</summary>
    public int? LinesInMemory { get; init; }

    /// <summary>The node's cluster address as <c>--seeds</c> takes it (host:port).</summary>
    public string SeedAddress => $"{Host}:{ClusterPort}";

    public static NodeLaunch Single(string dataDir) => new(Ports.Free(), Ports.Free(), dataDir);

    /// <summary>The clustered storage: PostgreSQL (--postgres) and Redis for the cache and the event stream (--redis).</summary>
    public NodeLaunch WithPostgresAndRedis(string postgres, string redis) =>
        this with { ExtraArgs = [.. ExtraArgs, "--postgres", postgres, "--redis", redis] };

    public IEnumerable<string> Args()
    {
        yield return "--http-port"; yield return HttpPort.ToString();
        yield return "--cluster-port"; yield return ClusterPort.ToString();
        yield return "--management-port"; yield return ManagementPort.ToString();
        yield return "--data-dir"; yield return DataDir;
        yield return "--lb-delay"; yield return LbDelay;
        if (Host != "127.0.0.1") { yield return "--http-host"; yield return Host; yield return "--cluster-host"; yield return Host; }
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
/// A real node process (dotnet ActorService.Node.dll) with its log captured. Tests talk to it over HTTP on its host
/// address, send it real signals by PID, and kill it if a test leaves it running.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private NodeProcess(NodeLaunch launch, ChildProcess process)
    {
        Launch = launch;
        _process = process;
        Http = NewClient(BaseUri);
        Management = NewClient(ManagementUri);
    }

    public NodeLaunch Launch { get; }
    public string Name => _process.Name;
    public int Pid => _process.Pid;
    public Uri BaseUri => new($"http://{Launch.Host}:{Launch.HttpPort}/");
    public HttpClient Http { get; }
    /// <summary>The management listener (bound to the cluster host address, which tests give the same as the HTTP host).</summary>
    public Uri ManagementUri => new($"http://{Launch.Host}:{Launch.ManagementPort}/");
    /// <summary>A client of the management listener: probes, /admin, /metrics, test hooks.</summary>
    public HttpClient Management { get; }
    public string LogPath => _process.LogPath;
    public IReadOnlyCollection<string> Lines => _process.Lines;
    public bool HasExited => _process.HasExited;
    public Task<int> Exited => _process.Exited;
    /// <summary>The process underneath (resident memory, graceful stop).</summary>
    public ChildProcess Process => _process;

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
        // Test nodes run in a non-Production environment (test hooks are refused in Production); a launch may say otherwise.
        var environment = new Dictionary<string, string?> { ["DOTNET_ENVIRONMENT"] = null, ["ASPNETCORE_ENVIRONMENT"] = TestEnvironment };
        if (launch.WorkstationGc) environment["DOTNET_gcServer"] = "0"; // several nodes share two cores in tests
        foreach (var (k, v) in launch.Environment) environment[k] = v;
        var process = ChildProcess.Run(new ChildStart(name, "dotnet", [Repo.NodeDll, .. launch.Args()], Path.Combine(launch.DataDir, $"{name}.log"))
        {
            Environment = environment,
            Wrapper = launch.Wrapper,
            LinesInMemory = launch.LinesInMemory,
        });
        return new NodeProcess(launch, process);
    }

    public static async Task<NodeProcess> StartReadyAsync(NodeLaunch launch, string name = "node", TimeSpan? within = null)
    {
        var node = Start(launch, name);
        await node.WaitReadyAsync(within ?? TimeSpan.FromSeconds(60));
        return node;
    }

    public async Task WaitReadyAsync(TimeSpan within)
    {
        using var probe = NewClient(ManagementUri, TimeSpan.FromSeconds(2)); // where the kubelet and HAProxy probe
        await Eventually.True(async () =>
        {
            if (HasExited) throw new InvalidOperationException($"{Name} exited with code {await Exited} before it was ready; log: {LogPath}\n{Tail()}");
            try { return (await probe.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, within, $"{Name} on {Launch.Host}:{Launch.ManagementPort} (management) to become ready (log: {LogPath})", TimeSpan.FromMilliseconds(100));
    }

    public void Signal(int signal) => _process.Signal(signal);

    public Task<int> WaitForExitAsync(TimeSpan within) => _process.WaitForExitAsync(within);

    /// <summary>Waits until a log line matches, and returns it.</summary>
    public Task<string> WaitForLogAsync(Func<string, bool> match, TimeSpan within, string what) =>
        Eventually.Get(() => Task.FromResult(Lines.FirstOrDefault(match)), within, $"{Name} to log {what} (log: {LogPath})");

    public string Tail(int lines = 30) => _process.Tail(lines);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Http.Dispose();
        Management.Dispose();
    }
}
