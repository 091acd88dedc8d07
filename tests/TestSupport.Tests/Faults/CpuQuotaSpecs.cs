using System.Globalization;
using Xunit;

namespace ActorService.TestSupport.Tests.Faults;

/// <summary>
/// A CPU quota holds a process to its share of a CPU from its first instruction, a node runs in one, and the group is
/// gone afterwards. Where no cgroup can be made (no cgroup v1 cpu controller, not root), the caller is told why.
/// </summary>
public sealed class CpuQuotaSpecs
{
    [Fact]
    public async Task Should_hold_a_busy_process_to_its_quota_and_remove_the_group_when_disposed()
    {
        var quota = CpuQuota.TryCreate(0.2, out var whyNot);
        if (quota is null)
        {
            // The only other outcome allowed: a reason the caller can print (this machine cannot make cgroups).
            Assert.Contains(CpuQuota.Root, whyNot);
            TestContext.Current.SendDiagnosticMessage($"CpuQuota not available here: {whyNot}");
            return;
        }
        var dir = Repo.NewWorkDir("cpu-quota");
        using (quota)
        {
            await using var spinner = ChildProcess.Run(new ChildStart("spinner", "sh", ["-c", "while :; do :; done"], Path.Combine(dir, "spinner.log"))
            {
                Wrapper = quota.Wrapper,
            });
            await Eventually.True(() => quota.Pids().Contains(spinner.Pid), TimeSpan.FromSeconds(5), $"pid {spinner.Pid} in {quota.Path}");
            var cpu0 = CpuSeconds(spinner.Pid);
            var wall = System.Diagnostics.Stopwatch.StartNew();
            await spinner.TryWaitForExitAsync(TimeSpan.FromSeconds(2)); // it never exits: this is the measuring window
            var share = (CpuSeconds(spinner.Pid) - cpu0) / wall.Elapsed.TotalSeconds;
            var (periods, throttled, _) = quota.Stat();

            Assert.True(share <= 0.2 * 1.5, string.Create(CultureInfo.InvariantCulture, $"a busy loop under a 0.2 CPU quota used {share:0.00} CPU"));
            Assert.True(share >= 0.05, string.Create(CultureInfo.InvariantCulture, $"the busy loop hardly ran ({share:0.00} CPU): was it started?"));
            Assert.True(throttled > 0, $"the kernel throttled the group in none of {periods} periods");
            await spinner.StopAsync(TimeSpan.FromSeconds(5));
        }
        Assert.False(Directory.Exists(quota.Path), $"{quota.Path} is still there after Dispose");
    }

    [Fact]
    public async Task Should_start_a_node_inside_the_quota_when_its_launch_goes_through_the_wrapper()
    {
        using var quota = CpuQuota.TryCreate(0.6, out var whyNot);
        if (quota is null)
        {
            Assert.Contains(CpuQuota.Root, whyNot);
            TestContext.Current.SendDiagnosticMessage($"CpuQuota not available here: {whyNot}");
            return;
        }
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("quota-node")) with { Wrapper = quota.Wrapper },
            within: TimeSpan.FromSeconds(90));

        Assert.Contains(node.Pid, quota.Pids());
        Assert.Contains($":cpu:/{quota.Name}", File.ReadAllText($"/proc/{node.Pid}/cgroup").Replace(":cpu,cpuacct:", ":cpu:"));
    }

    [Fact]
    public void Should_remove_a_group_left_by_a_run_that_is_gone()
    {
        if (!File.Exists(Path.Combine(CpuQuota.Root, "cpu.cfs_quota_us")) || Environment.UserName != "root")
        {
            Assert.Null(CpuQuota.TryCreate(0.5, out var whyNot));
            Assert.NotEmpty(whyNot);
            return;
        }
        // A group named after an owner process that no longer exists (PIDs above pid_max never do).
        var leftover = Path.Combine(CpuQuota.Root, $"{CpuQuota.Prefix}99999999-1");
        Directory.CreateDirectory(leftover);

        CpuQuota.RemoveLeftovers();

        Assert.False(Directory.Exists(leftover), $"{leftover} survived RemoveLeftovers");
    }

    /// <summary>utime + stime of a process, in seconds (clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
