using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ActorService.Bench.Infra;
using ActorService.Bench.Load;
using ActorService.Bench.Report;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// What a drain costs. SIGTERM-to-exit is timed from the signal to the process's exit. The node's JSON shutdown
/// report gives each phase's duration; the overhead the target speaks of is what remains after the two waits that
/// are there on purpose: exit − lb-delay − the longest in-flight request (the <c>service-requests-done</c> phase,
/// which waits exactly for the requests accepted before intake closed).
/// </summary>
internal sealed class DrainScenarios(BenchContext bench, ResultBook book)
{
    private const int LoadRate = 600;          // requests/s offered during "under load" drains and the rolling restart
    private const int LoadAccounts = 1_000;
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
                var spec = new NodeSpec(name, bench.FreePort(), bench.FreePort(), Path.Combine(dir, name + "-data"))
                {
                    LbDelay = $"{SingleLbDelay.TotalSeconds}s",
                    ReportPath = Path.Combine(dir, name + ".report.json"),
                };
                await using var node = HttpService.StartNode(bench, spec, dir);
                await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
                OpenLoop? load = null;
                using var stopLoad = new CancellationTokenSource();
                Task loadRun = Task.CompletedTask;
                if (underLoad)
                {
                    await Seed(node.Url);
                    load = new OpenLoop(node.Url, LoadRate, LoadAccounts, "acc-");
                    loadRun = load.RunAsync(stopLoad.Token);
                    await Task.Delay(TimeSpan.FromSeconds(3));
                }
                var drain = await TerminateAsync(node, SingleLbDelay);
                await stopLoad.CancelAsync();
                await loadRun;
                drains.Add(drain);
                book.Detail(title, Describe(drain) + (load is null ? "" : $"; load {Count(load.Samples)}"));
            }
            var kind = underLoad ? $"under load ({LoadRate} req/s open loop, 50 % deposits)" : "idle";
            var exitLess = Stats.Median(drains.Select(d => (d.Exit - d.LbDelay).TotalSeconds));
            book.Add(new ResultRow(title, $"{kind}: exit − lb-delay", $"{S(exitLess)} (median of {drains.Count}; exit {S(Stats.Median(drains.Select(d => d.Exit.TotalSeconds)))}, lb-delay {S(SingleLbDelay.TotalSeconds)})", "", Verdict.Info));
            book.Add(new ResultRow(title, $"{kind}: overhead = exit − lb-delay − longest in-flight request",
                $"{S(Stats.Median(drains.Select(d => d.Overhead.TotalSeconds)))} (median; worst {S(drains.Max(d => d.Overhead.TotalSeconds))})", "", Verdict.Info));
            if (drains.Any(d => d.ExitCode != 0))
                throw new BenchFailure($"{title}: a node exited with a code other than 0: {string.Join(", ", drains.Select(d => $"{d.Node} {d.ExitCode}"))}");
        }
    }

    /// <summary>
    /// Three nodes sharing one database behind HAProxy, open-loop load through HAProxy; each node in turn gets SIGTERM,
    /// exits, is started again with the same ports and rejoins, like a Kubernetes rolling update. Latency is compared
    /// with the steady state just before; every request's status is counted.
    /// </summary>
    public async Task RollingRestartAsync()
    {
        const string title = "Rolling restart, 3 nodes behind HAProxy";
        var dir = bench.NewDir("rolling-restart");
        var data = Path.Combine(dir, "data");
        var specs = Enumerable.Range(1, 3).Select(i => new NodeSpec($"node{i}", bench.FreePort(), bench.FreePort(), data)
        {
            LbDelay = $"{ClusterLbDelay.TotalSeconds}s",
        }).ToArray();
        var seeds = specs.Take(2).Select(s => s.ClusterPort).ToArray();
        specs = specs.Select(s => s with { SeedPorts = seeds }).ToArray();
        var nodes = new HttpService?[3];
        ServiceProcess? haproxy = null;
        using var stopLoad = new CancellationTokenSource();
        Task loadRun = Task.CompletedTask;
        try
        {
            for (var i = 0; i < 3; i++) nodes[i] = HttpService.StartNode(bench, specs[i] with { ReportPath = Path.Combine(dir, $"node{i + 1}-gen1.report.json") }, dir);
            await Task.WhenAll(nodes.Select(n => n!.WaitReadyAsync(TimeSpan.FromSeconds(120))));
            await WaitMembersUp(nodes!, 3);
            var frontend = bench.FreePort();
            haproxy = await Haproxy.StartAsync(bench, dir, frontend, specs.Select(s => (s.Name, s.HttpPort)).ToList());
            var url = $"http://127.0.0.1:{frontend}";
            await Task.Delay(TimeSpan.FromSeconds(1)); // HAProxy's first health checks (rise 2 × 250 ms)
            await Seed(url);

            var load = new OpenLoop(url, LoadRate, LoadAccounts, "acc-");
            loadRun = load.RunAsync(stopLoad.Token);
            var steadyFrom = load.Now + 3; // the first seconds warm connections up
            await Task.Delay(TimeSpan.FromSeconds(15));
            var rollFrom = load.Now;
            var drains = new List<Drain>();
            for (var i = 0; i < 3; i++)
            {
                var drain = await TerminateAsync(nodes[i]!, ClusterLbDelay);
                drains.Add(drain);
                book.Detail(title, Describe(drain));
                await nodes[i]!.DisposeAsync();
                nodes[i] = HttpService.StartNode(bench, specs[i] with { ReportPath = Path.Combine(dir, $"node{i + 1}-gen2.report.json") }, dir);
                await nodes[i]!.WaitReadyAsync(TimeSpan.FromSeconds(120));
                await WaitMembersUp(nodes!, 3);
                await Task.Delay(TimeSpan.FromSeconds(3)); // HAProxy sees it up again; shards settle
            }
            var rollTo = load.Now;
            await stopLoad.CancelAsync();
            await loadRun;

            var samples = load.Samples;
            var steady = samples.Where(s => s.DueAt >= steadyFrom && s.DueAt < rollFrom).ToList();
            var roll = samples.Where(s => s.DueAt >= rollFrom && s.DueAt < rollTo).ToList();
            book.Detail(title, $"steady {rollFrom - steadyFrom:0} s: {Count(steady)}; {Latency(steady)}");
            book.Detail(title, $"roll {rollTo - rollFrom:0} s: {Count(roll)}; {Latency(roll)}");
            var failed = roll.Count(s => s.Status is < 200 or >= 300);
            book.Add(new ResultRow(title, $"p99 latency during the roll ({LoadRate} req/s open loop, 50 % deposits)",
                $"{Ms(P(roll, 99))} (steady before: {Ms(P(steady, 99))}; p50 {Ms(P(roll, 50))}, max {Ms(roll.Max(s => s.LatencyMs))})", "", Verdict.Info));
            book.Add(new ResultRow(title, "requests not answered 2xx during the roll", $"{failed} of {roll.Count} ({Count(roll)})", "0", failed == 0 ? Verdict.Met : Verdict.Missed));
            book.Add(new ResultRow(title, "SIGTERM → exit of a node under load, minus lb-delay",
                $"{S(Stats.Median(drains.Select(d => (d.Exit - d.LbDelay).TotalSeconds)))} (median of 3; lb-delay {S(ClusterLbDelay.TotalSeconds)})", "", Verdict.Info));
            var worst = drains.Max(d => d.Overhead.TotalSeconds);
            book.Add(new ResultRow(title, "shutdown overhead = exit − lb-delay − longest in-flight request (worst of 3 nodes)",
                $"{S(worst)} (median {S(Stats.Median(drains.Select(d => d.Overhead.TotalSeconds)))})", "≤ 1.00 s", ResultBook.AtMost(worst, 1.0)));
            if (drains.Any(d => d.ExitCode != 0))
                throw new BenchFailure($"{title}: a node exited with a code other than 0: {string.Join(", ", drains.Select(d => $"{d.Node} {d.ExitCode}"))}");
        }
        finally
        {
            await stopLoad.CancelAsync();
            await loadRun;
            if (haproxy is not null) await haproxy.DisposeAsync();
            foreach (var n in nodes) if (n is not null) await n.DisposeAsync();
        }
    }

    private async Task<Drain> TerminateAsync(HttpService node, TimeSpan lbDelay)
    {
        var watch = Stopwatch.StartNew();
        node.Process.Signal(ServiceProcess.SIGTERM);
        if (!await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(120)))
            throw new BenchFailure($"{node.Name} did not exit within 120 s of SIGTERM; log {node.Process.LogPath}:\n{node.Process.Tail()}");
        var exit = watch.Elapsed;
        var reportPath = node.Spec!.ReportPath ?? throw new InvalidOperationException("drain runs need a report path");
        if (!File.Exists(reportPath)) throw new BenchFailure($"{node.Name} wrote no shutdown report to {reportPath}:\n{node.Process.Tail()}");
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(reportPath)).RootElement;
        var phases = report.GetProperty("phases").EnumerateArray()
            .Select(p => (Name: p.GetProperty("name").GetString()!, Ms: p.GetProperty("durationMs").GetDouble())).ToList();
        var requestsDone = TimeSpan.FromMilliseconds(phases.Where(p => p.Name == "service-requests-done").Sum(p => p.Ms));
        var text = string.Join(", ", phases.Where(p => p.Ms >= 20).Select(p => $"{p.Name} {p.Ms:0} ms"));
        return new Drain(node.Name, exit, node.Process.ExitCode, lbDelay, requestsDone, text);
    }

    private static async Task Seed(string url)
    {
        var seeded = await ExactDriver.RunAsync(LoadAccounts, 32, i => ExactDriver.Deposit(url, $"acc-{i + 1}", $"seed-{i + 1}-{Guid.NewGuid():N}"));
        if (seeded.Count(System.Net.HttpStatusCode.OK) != LoadAccounts) throw new BenchFailure($"seeding {LoadAccounts} accounts at {url}: {seeded}");
    }

    private static async Task WaitMembersUp(IReadOnlyList<HttpService> nodes, int expected)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var counts = await Task.WhenAll(nodes.Select(async n => { try { return await n.MembersUpAsync(); } catch (HttpRequestException) { return 0; } }));
            if (counts.All(c => c == expected)) return;
            if (watch.Elapsed > TimeSpan.FromSeconds(60))
                throw new BenchFailure($"the nodes do not all see {expected} members Up after 60 s: {string.Join(", ", counts)}");
            await Task.Delay(200);
        }
    }

    private static string Describe(Drain d) =>
        $"{d.Node}: exit {S(d.Exit.TotalSeconds)} (code {d.ExitCode}), longest in-flight request {S(d.RequestsDone.TotalSeconds)}, overhead {S(d.Overhead.TotalSeconds)}; phases ≥ 20 ms: {d.Phases}";

    private static string Count(IReadOnlyList<OpenLoop.Sample> samples) =>
        string.Join(", ", samples.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no response" : g.Key.ToString())}×{g.Count()}"));

    private static string Latency(IReadOnlyList<OpenLoop.Sample> samples) =>
        $"p50 {Ms(P(samples, 50))}, p90 {Ms(P(samples, 90))}, p99 {Ms(P(samples, 99))}, p99.9 {Ms(P(samples, 99.9))}, max {Ms(samples.Count == 0 ? double.NaN : samples.Max(s => s.LatencyMs))}";

    private static double P(IReadOnlyList<OpenLoop.Sample> samples, double p) => Stats.Percentile(samples.Select(s => s.LatencyMs).ToList(), p);

    private static string S(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";
}
