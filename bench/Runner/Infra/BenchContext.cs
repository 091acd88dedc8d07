namespace ActorService.Bench.Infra;

/// <summary>
/// Where everything is (the repository, the Release builds, this run's folder) plus the run's log. Every process the
/// run starts goes through TestSupport's launcher, which registers it under <c>ACTORSERVICE_PID_DIR</c> (bench/run.sh
/// sets it), so the script's exit trap can stop whatever a crashed run left behind, by PID.
/// </summary>
internal sealed class BenchContext
{
    private readonly StreamWriter _log;

    public BenchContext(BenchOptions options)
    {
        Options = options;
        Repo = FindRepo();
        RunId = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
        RunDir = Path.Combine(Repo, "bench", "results-raw", RunId);
        Directory.CreateDirectory(RunDir);
        _log = new StreamWriter(Path.Combine(RunDir, "run.log")) { AutoFlush = true };
    }

    public BenchOptions Options { get; }
    public string Repo { get; }
    public string RunId { get; }
    public string RunDir { get; }
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

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ActorService.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find ActorService.sln above " + AppContext.BaseDirectory);
    }
}
