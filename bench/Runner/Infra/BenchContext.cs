using System.Net;
using System.Net.Sockets;

namespace ActorService.Bench.Infra;

/// <summary>
/// Where everything is (the repository, the Release builds, this run's folder) plus the run's log and its port
/// allocator. Every process the run starts is registered under <see cref="PidDir"/>, so bench/run.sh's exit trap can
/// stop whatever a crashed run left behind, by PID.
/// </summary>
internal sealed class BenchContext
{
    private readonly HashSet<int> _ports = [];
    private readonly StreamWriter _log;

    public BenchContext(BenchOptions options)
    {
        Options = options;
        Repo = FindRepo();
        RunId = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
        RunDir = Path.Combine(Repo, "bench", "results-raw", RunId);
        Directory.CreateDirectory(RunDir);
        PidDir = Environment.GetEnvironmentVariable("BENCH_PID_DIR") is { Length: > 0 } dir ? dir : Path.Combine(RunDir, "pids");
        Directory.CreateDirectory(PidDir);
        _log = new StreamWriter(Path.Combine(RunDir, "run.log")) { AutoFlush = true };
    }

    public BenchOptions Options { get; }
    public string Repo { get; }
    public string RunId { get; }
    public string RunDir { get; }
    public string PidDir { get; }
    public string NodeDll => Path.Combine(Repo, "src", "Node", "bin", "Release", "net10.0", "ActorService.Node.dll");
    public string BaselineDll => Path.Combine(Repo, "bench", "Baseline", "bin", "Release", "net10.0", "ActorService.Bench.Baseline.dll");
    public string LuaScript => Path.Combine(Repo, "bench", "lua", "ledger.lua");

    /// <summary>A fresh folder for one scenario's data and logs, inside this run's folder.</summary>
    public string NewDir(string name)
    {
        var dir = Path.Combine(RunDir, name);
        for (var i = 2; Directory.Exists(dir); i++) dir = Path.Combine(RunDir, $"{name}-{i}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Log(string line)
    {
        var text = $"[{DateTime.Now:HH:mm:ss}] {line}";
        Console.WriteLine(text);
        lock (_log) _log.WriteLine(text);
    }

    /// <summary>A loopback port that is free now and was not handed out before in this run.</summary>
    public int FreePort()
    {
        while (true)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            lock (_ports)
                if (_ports.Add(port)) return port;
        }
    }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ActorService.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find ActorService.sln above " + AppContext.BaseDirectory);
    }
}
