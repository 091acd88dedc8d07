using System.Globalization;

namespace ActorService.TestSupport;

/// <summary>
/// A CPU limit like a Kubernetes <c>limits.cpu</c>: a cgroup v1 group of the cpu controller
/// (<c>/sys/fs/cgroup/cpu/actorservice-test-OWNER-N</c>) with <c>cpu.cfs_quota_us</c> / <c>cpu.cfs_period_us</c> = the
/// CPUs allowed. A process started through <see cref="Wrapper"/> runs in it from its first instruction. Disposing moves
/// whatever still runs in it back to the root group and removes it; groups of owners that are gone (a crashed run) are
/// removed by <see cref="RemoveLeftovers"/>, which <see cref="TryCreate"/> calls first. Needs root and cgroup v1's cpu
/// controller; where either is missing, <see cref="TryCreate"/> says why instead.
/// </summary>
public sealed class CpuQuota : IDisposable
{
    public const string Root = "/sys/fs/cgroup/cpu";
    public const string Prefix = "actorservice-test-";
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);
    private static int _count;

    private CpuQuota(string name, double cpus)
    {
        Name = name;
        Cpus = cpus;
    }

    public string Name { get; }
    public double Cpus { get; }
    public string Path => System.IO.Path.Combine(Root, Name);
    private string Procs => System.IO.Path.Combine(Path, "cgroup.procs");

    /// <summary>Start a process through this: it writes its own PID into the group, then execs the command (same PID).</summary>
    public IReadOnlyList<string> Wrapper => ["sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", Procs];

    /// <summary>A group allowing <paramref name="cpus"/> CPUs (e.g. 0.6), or null and the reason it cannot be made here.</summary>
    public static CpuQuota? TryCreate(double cpus, out string whyNot)
    {
        whyNot = "";
        if (!File.Exists(System.IO.Path.Combine(Root, "cpu.cfs_quota_us")))
        {
            whyNot = $"CPU quotas not available: no cgroup v1 cpu controller at {Root} (cgroup v2 only, or not Linux)";
            return null;
        }
        RemoveLeftovers();
        var quota = new CpuQuota($"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _count)}", cpus);
        try
        {
            Directory.CreateDirectory(quota.Path);
            File.WriteAllText(System.IO.Path.Combine(quota.Path, "cpu.cfs_period_us"), ((long)Period.TotalMicroseconds).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(System.IO.Path.Combine(quota.Path, "cpu.cfs_quota_us"), ((long)(Period.TotalMicroseconds * cpus)).ToString(CultureInfo.InvariantCulture));
            return quota;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            quota.Dispose();
            whyNot = $"CPU quotas not available: cannot make a cgroup under {Root} ({e.Message}; it needs root)";
            return null;
        }
    }

    /// <summary>Moves a running process (every thread) into the group.</summary>
    public void Add(int pid) => File.WriteAllText(Procs, pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>The processes in the group now.</summary>
    public IReadOnlyList<int> Pids() => ReadPids(Path);

    /// <summary>The kernel's throttling counters: periods with runnable tasks, periods throttled, time throttled.</summary>
    public (long Periods, long Throttled, TimeSpan ThrottledTime) Stat()
    {
        var stat = File.ReadAllLines(System.IO.Path.Combine(Path, "cpu.stat")).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        return (stat["nr_periods"], stat["nr_throttled"], TimeSpan.FromTicks(stat["throttled_time"] / 100));
    }

    /// <summary>Removes groups whose owning test process is gone (a run that crashed before it could clean up).</summary>
    public static void RemoveLeftovers()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var dir in Directory.GetDirectories(Root, Prefix + "*"))
        {
            var owner = System.IO.Path.GetFileName(dir)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(owner, out var pid) && Directory.Exists($"/proc/{pid}")) continue;
            Remove(dir);
        }
    }

    private static IReadOnlyList<int> ReadPids(string dir) =>
        File.ReadAllLines(System.IO.Path.Combine(dir, "cgroup.procs")).Where(l => l.Length > 0).Select(int.Parse).ToList();

    private static void Remove(string dir)
    {
        if (!Directory.Exists(dir)) return;
        // A group with processes in it cannot be removed: they go back to the root group (they are not ended here).
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                foreach (var pid in ReadPids(dir))
                    try { File.WriteAllText(System.IO.Path.Combine(Root, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture)); }
                    catch (IOException) { /* exited meanwhile */ }
                Directory.Delete(dir);
                return;
            }
            catch (IOException) when (attempt < 19) { Thread.Sleep(50); }
        }
    }

    public void Dispose() => Remove(Path);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Cpus:0.##} CPU ({Path})");
}
