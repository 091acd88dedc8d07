using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ActorService.Bench.Infra;
using ActorService.Bench.Report;
using ActorService.TestSupport;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// What a drain costs. SIGTERM-to-exit is timed from the signal to the process's exit. The node's JSON shutdown
/// report gives each phase's duration; the overhead the target speaks of is what remains after the two waits that
/// are there on purpose: exit − lb-delay − the longest in-flight request (the <c>service-requests-done</c> phase,
/// which waits exactly for the requests accepted before intake closed). The load is TestSupport's open loop with the
/// ordinary client (2 s per request, 64 connections, 512 in flight), as in the cluster specs.
/// </summary>
internal sealed class DrainScenarios(BenchContext bench, ResultBook book)
{
    private const int SingleLoadRate = 600;    // requests/s offered during "under load" drains of one node
    private const int RollLoadRate = 300;      // the rolling restart's load: issue 17's client and rate
    private const double QuotaCpus = 0.6;      // issue 17 item 6: a Kubernetes limits.cpu of 600m
    private static readonly TimeSpan SingleLbDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ClusterLbDelay = TimeSpan.FromSeconds(2); // > HAProxy's detection (2 × 250 ms) with room

    private sealed record Drain(string Node, TimeSpan Exit, int ExitCode, TimeSpan LbDelay, TimeSpan RequestsDone, string Phases)
    {
        public TimeSpan Overhead => Exit - LbDelay - RequestsDone;
    }

    public async Task SingleNodeAsync()
    {
        const string title = "Drain, one node (SIGTERM → exit)";
        var dir = bench.NewDir("drain-single-node");
        foreach (var underLoad in new[] { false, true })
        {
            var drains = new List<Drain>();
            for (var i = 1; i <= bench.Options.DrainRuns; i++)
            {
                var name = $"{(underLoad ? "load" : "idle")}-{i}";
                var launch = BenchNodes.Launch(Path.Combine(dir, name + "-data")) with
                {
                    LbDelay = $"{SingleLbDelay.TotalSeconds}s",
                    ReportPath = Path.Combine(dir, name + ".report.json"),
                };
                await using var node = HttpService.StartNode(name, launch);
                await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
                await using var load = new OpenLoopLoad(new LoadOptions(node.Uri) { RatePerSecond = SingleLoadRate });
                if (underLoad)
                {
                    await load.SeedAccountsAsync();
                    load.Start();
                    await LoadRunsAsync(load, TimeSpan.FromSeconds(3));
                }
                var drain = await TerminateAsync(node, SingleLbDelay);
                await load.StopAsync();
                drains.Add(drain);
                book.Detail(title, Describe(drain) + (underLoad ? $"; load {Causes(new LoadReport(load.Scheduled))}" : ""));
            }
            var kind = underLoad ? $"under load ({SingleLoadRate} req/s open loop, 50 % deposits)" : "idle";
            var exitLess = Stats.Median(drains.Select(d => (d.Exit - d.LbDelay).TotalSeconds));
            book.Add(new ResultRow(title, $"{kind}: exit − lb-delay", $"{S(exitLess)} (median of {drains.Count}; exit {S(Stats.Median(drains.Select(d => d.Exit.TotalSeconds)))}, lb-delay {S(SingleLbDelay.TotalSeconds)})", "", Verdict.Info));
            book.Add(new ResultRow(title, $"{kind}: overhead = exit − lb-delay − longest in-flight request",
                $"{S(Stats.Median(drains.Select(d => d.Overhead.TotalSeconds)))} (median; worst {S(drains.Max(d => d.Overhead.TotalSeconds))})", "", Verdict.Info));
            if (drains.Any(d => d.ExitCode != 0))
                throw new BenchFailure($"{title}: a node exited with a code other than 0: {string.Join(", ", drains.Select(d => $"{d.Node} {d.ExitCode}"))}");
        }
    }

    /// <summary>
    /// Three nodes sharing one SQLite file behind HAProxy (checks every 250 ms, no retries), the ordinary client's
    /// open loop through HAProxy; TestSupport's rolling restart (the cluster specs' one): each node in turn gets SIGTERM,
    /// exits, is started again with the same ports, and the next goes when it is ready, UP and every node sees three
    /// members. Latency during the roll is compared with the steady state just before; failures are counted by cause.
    /// </summary>
    public Task RollingRestartAsync() => RollAsync("Rolling restart, 3 nodes behind HAProxy", "rolling-restart", quotaCpus: null);

    /// <summary>
    /// The same roll with each node in its own cgroup v1 CPU quota of <see cref="QuotaCpus"/> CPU, as a Kubernetes
    /// <c>limits.cpu: 600m</c> (issue 17 item 6). Where no cgroup can be made the scenario says so in the table.
    /// </summary>
    public Task RollingRestartUnderQuotaAsync() =>
        RollAsync($"Rolling restart, 3 nodes behind HAProxy, each in a {QuotaCpus} CPU quota", "rolling-restart-cpu-quota", QuotaCpus);

    private async Task RollAsync(string title, string dirName, double? quotaCpus)
    {
        var dir = bench.NewDir(dirName);
        var quotas = new List<CpuQuota>();
        try
        {
            for (var i = 0; quotaCpus is { } cpus && i < 3; i++)
            {
                var quota = CpuQuota.TryCreate(cpus, out var whyNot);
                if (quota is null)
                {
                    book.Add(new ResultRow(title, "not run", $"no cgroup could be made: {whyNot}", "", Verdict.NotRun));
                    return;
                }
                quotas.Add(quota);
            }
            await RollAsync(title, dir, quotas);
        }
        finally
        {
            foreach (var q in quotas) q.Dispose();
        }
    }

    private async Task RollAsync(string title, string dir, IReadOnlyList<CpuQuota> quotas)
    {
        await using var s = await ClusterScenario.StartAsync("bench-roll",
            (frontend, stats, servers) => HaproxyConfig.NoRetries(frontend, stats, servers) with { CheckInterval = "250ms" },
            ClientModel.Ordinary,
            customize: (i, l) => BenchNodes.Tune(l) with
            {
                LbDelay = $"{ClusterLbDelay.TotalSeconds}s",
                ReportPath = Path.Combine(dir, $"node{i + 1}-gen1.report.json"),
                Wrapper = quotas.Count > i ? quotas[i].Wrapper : [],
            },
            load: o => o with { RatePerSecond = RollLoadRate },
            workDir: dir, storage: ClusterStorage.Sqlite);

        s.Load.Start();
        await s.LoadCompletes(RollLoadRate * 3, "warm-up: the first seconds open connections");
        var steadyFrom = s.Load.Now;
        await s.LoadCompletes(RollLoadRate * 12, "a steady state before the roll");
        var rollFrom = s.Load.Mark("rolling restart begins");
        var steps = await RollingRestart.RunAsync(s, (i, l) => l with { ReportPath = Path.Combine(dir, $"node{i + 1}-gen2.report.json") });
        var rollTo = s.Load.Mark("rolling restart done");
        await s.LoadCompletes(RollLoadRate * 5, "load on the rolled cluster");
        await s.Load.StopAsync();

        var all = new LoadReport(s.Load.Scheduled);
        var drains = new List<Drain>();
        foreach (var step in steps)
        {
            var drain = await ReadDrainAsync(step.Name, step.SigtermToExit, step.ExitCode, step.Exited.ReportPath!, ClusterLbDelay);
            drains.Add(drain);
            book.Detail(title, $"{step}; {Describe(drain)}");
            book.Detail(title, all.ColdStart(step.Name, step.ReadyAt));
        }
        var steady = new LoadReport(s.Load.Scheduled.Where(r => r.Start >= steadyFrom && r.Start < rollFrom));
        var roll = new LoadReport(s.Load.Scheduled.Where(r => r.Start >= rollFrom && r.Start < rollTo));
        book.Detail(title, $"client: {s.Load.Options.Client}, {RollLoadRate} req/s open loop, 50 % deposits");
        book.Detail(title, $"steady {(rollFrom - steadyFrom).TotalSeconds:0} s: {Causes(steady)}; {Latency(steady)}");
        book.Detail(title, $"roll {(rollTo - rollFrom).TotalSeconds:0} s: {Causes(roll)}; {Latency(roll)}");
        foreach (var line in all.Events(s.Load.Marks)) book.Detail(title, line);
        book.Detail(title, (await s.CheckHistoryAsync()).ToString());
        foreach (var (q, i) in quotas.Select((q, i) => (q, i)))
        {
            var (periods, throttled, time) = q.Stat();
            book.Detail(title, $"{LocalCluster.Name(i)} quota {q}: throttled in {throttled} of {periods} periods, {LoadReport.Ms(time)} in all");
        }

        var failed = roll.Sent - roll.Succeeded;
        var (_, rollP50, rollP99, rollMax) = roll.Latency(TimeSpan.Zero, TimeSpan.MaxValue);
        book.Add(new ResultRow(title, $"p99 latency during the roll ({RollLoadRate} req/s open loop, 50 % deposits, ordinary client)",
            $"{LoadReport.Ms(rollP99)} (steady before: {LoadReport.Ms(steady.Latency(TimeSpan.Zero, TimeSpan.MaxValue).P99)}; p50 {LoadReport.Ms(rollP50)}, max {LoadReport.Ms(rollMax)})",
            "≤ 500 ms", ResultBook.AtMost(rollP99.TotalMilliseconds, 500)));
        book.Add(new ResultRow(title, "requests failed during the roll (ordinary client: 2 s, 64 connections)",
            $"{failed} of {roll.Sent}" + (failed == 0 ? "" : $" ({string.Join(", ", roll.FailuresByKind.Select(kv => $"{kv.Key} {kv.Value}"))})"), "0",
            failed == 0 ? Verdict.Met : Verdict.Missed));
        book.Add(new ResultRow(title, "SIGTERM → exit of a node under load, minus lb-delay",
            $"{S(Stats.Median(drains.Select(d => (d.Exit - d.LbDelay).TotalSeconds)))} (median of 3; lb-delay {S(ClusterLbDelay.TotalSeconds)})", "", Verdict.Info));
        var worst = drains.Max(d => d.Overhead.TotalSeconds);
        book.Add(new ResultRow(title, "shutdown overhead = exit − lb-delay − longest in-flight request (worst of 3 nodes)",
            $"{S(worst)} (median {S(Stats.Median(drains.Select(d => d.Overhead.TotalSeconds)))})", "≤ 1.00 s", ResultBook.AtMost(worst, 1.0)));
        if (drains.Any(d => d.ExitCode != 0))
            throw new BenchFailure($"{title}: a node exited with a code other than 0: {string.Join(", ", drains.Select(d => $"{d.Node} {d.ExitCode}"))}");
    }

    private async Task<Drain> TerminateAsync(HttpService node, TimeSpan lbDelay)
    {
        var watch = Stopwatch.StartNew();
        node.Process.Signal(Signals.SIGTERM);
        if (!await node.Process.TryWaitForExitAsync(TimeSpan.FromSeconds(120)))
            throw new BenchFailure($"{node.Name} did not exit within 120 s of SIGTERM; log {node.Process.LogPath}:\n{node.Process.Tail()}");
        var reportPath = node.Node?.Launch.ReportPath ?? throw new InvalidOperationException("drain runs need a report path");
        return await ReadDrainAsync(node.Name, watch.Elapsed, await node.Process.Exited, reportPath, lbDelay);
    }

    private static async Task<Drain> ReadDrainAsync(string name, TimeSpan exit, int exitCode, string reportPath, TimeSpan lbDelay)
    {
        if (!File.Exists(reportPath)) throw new BenchFailure($"{name} wrote no shutdown report to {reportPath}");
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(reportPath)).RootElement;
        var phases = report.GetProperty("phases").EnumerateArray()
            .Select(p => (Name: p.GetProperty("name").GetString()!, Ms: p.GetProperty("durationMs").GetDouble())).ToList();
        var requestsDone = TimeSpan.FromMilliseconds(phases.Where(p => p.Name == "service-requests-done").Sum(p => p.Ms));
        var text = string.Join(", ", phases.Where(p => p.Ms >= 20).Select(p => $"{p.Name} {p.Ms:0} ms"));
        return new Drain(name, exit, exitCode, lbDelay, requestsDone, text);
    }

    /// <summary>Lets the open loop run for <paramref name="span"/>: counted in completed requests (with a deadline), not slept.</summary>
    private static Task LoadRunsAsync(OpenLoopLoad load, TimeSpan span)
    {
        var from = load.Records.Count;
        var requests = (int)(span.TotalSeconds * load.Options.RatePerSecond);
        return Eventually.True(() => load.Records.Count - from >= requests, span * 3 + TimeSpan.FromSeconds(10), $"{requests} requests of load",
            TimeSpan.FromMilliseconds(50));
    }

    private static string Describe(Drain d) =>
        $"{d.Node}: exit {S(d.Exit.TotalSeconds)} (code {d.ExitCode}), longest in-flight request {S(d.RequestsDone.TotalSeconds)}, overhead {S(d.Overhead.TotalSeconds)}; phases ≥ 20 ms: {d.Phases}";

    private static string Causes(LoadReport report) =>
        $"{report.Sent} sent, {report.Succeeded} succeeded" + string.Concat(report.FailuresByKind.Select(kv => $", {kv.Key} {kv.Value}"));

    private static string Latency(LoadReport report)
    {
        var sent = report.Records.Where(r => !r.NeverSent).Select(r => r.End - r.Start).ToList();
        string P(double p) => LoadReport.Ms(LoadReport.Percentile(sent, p));
        return $"p50 {P(50)}, p90 {P(90)}, p99 {P(99)}, p99.9 {P(99.9)}, max {(sent.Count == 0 ? "-" : LoadReport.Ms(sent.Max()))}";
    }

    private static string S(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
