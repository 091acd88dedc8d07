using System.Globalization;
using System.Net;
using ActorService.Bench.Infra;
using ActorService.Bench.Report;
using ActorService.TestSupport;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// A node that dies or stands still under load (issue 17's kill -9 and freeze targets), with the cluster specs' tools:
/// three nodes behind HAProxy (checks every 250 ms, a connection that could not be opened is retried on another
/// server: nothing was sent on it), 300 req/s open loop, 50 % deposits, the ordinary client that honours Retry-After
/// (2 s per attempt, 64 connections, up to 10 retries within 12 s, same Idempotency-Key). tests/Cluster.Tests'
/// KillNineSpecs and FreezeSpecs assert the same scenarios; here they are measured for the table.
/// </summary>
internal sealed class FaultScenarios(BenchContext bench, ResultBook book)
{
    private const int Rate = 300;
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(8);

    /// <summary>kill -9 of the oldest node (it hosts the shard coordinator), on the SQLite default; restarted once every shard serves again.</summary>
    public async Task KillNineAsync()
    {
        const string title = "kill -9 of the oldest of 3 nodes";
        var dir = bench.NewDir("kill-9");
        await using var s = await StartAsync("bench-kill9", dir, ClusterStorage.Sqlite);
        var victim = s.Cluster[0];
        var survivors = new[] { s.Cluster[1], s.Cluster[2] };
        var probe = new ShardProbe(ClusterScenario.ShardCount, s.Load.RunId);
        await victim.WaitForLogAsync(l => l.Contains("Singleton manager started singleton actor", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "that it hosts the shard coordinator (the oldest node)");

        s.Load.Start();
        await s.LoadCompletes(Rate * 3, "warm-up: the first seconds open connections");
        await s.LoadCompletes(Rate * 8, "a steady state before the kill");
        var killAt = s.Load.Mark("SIGKILL node1");
        var gone = victim.Exited.ContinueWith(_ => s.Load.Now, TaskScheduler.Default);
        victim.Signal(Signals.SIGKILL);
        var served = await probe.WaitAllServingAsync(survivors.Select(n => n.BaseUri).ToList(), () => s.Load.Now, TimeSpan.FromSeconds(30));
        var allServed = served.All(t => t is not null) ? served.Max()!.Value - killAt : (TimeSpan?)null;
        s.Load.Mark("every shard serving again");
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var goneAt = await gone;
        var restartedAt = s.Load.Now;
        await s.Cluster.RestartAsync(0);
        var toReady = s.Load.Mark("node1 restarted and ready") - restartedAt;
        await s.Haproxy.WaitServerStateAsync("node1", "UP", TimeSpan.FromSeconds(30));
        await s.LoadCompletes(Rate * 5, "load after the restart");
        await s.Load.StopAsync();

        var report = new LoadReport(s.Load.Scheduled);
        var failed = report.Failed;
        var outsideKilled = failed.Count(r => !(r.Start <= goneAt && r.End >= killAt));
        var waitedPast2s = report.Attempts.Count(a => a.Cause == "timeout");
        var during = report.Latency(killAt, (allServed ?? TimeSpan.Zero) + killAt + TimeSpan.FromSeconds(1));
        await DetailsAsync(title, s, report);

        book.Add(new ResultRow(title, "requests failed (only requests inside the killed process may)",
            $"{failed.Count} of {report.Sent}, {outsideKilled} outside the killed process" + Kinds(report),
            "≤ 20, all inside it", failed.Count <= 20 && outsideKilled == 0 ? Verdict.Met : Verdict.Missed));
        book.Add(new ResultRow(title, "every shard serving again after the kill",
            allServed is { } t ? $"{S(t)} ({served.Count(x => x - killAt > TimeSpan.FromSeconds(1))} of {served.Count} shards out > 1 s)" : "not within 30 s",
            "≤ 5.00 s", allServed is { } u ? ResultBook.AtMost(u.TotalSeconds, 5.0) : Verdict.Missed));
        book.Add(new ResultRow(title, "attempts that waited past the client's 2 s",
            waitedPast2s.ToString(CultureInfo.InvariantCulture), "0", waitedPast2s == 0 ? Verdict.Met : Verdict.Missed));
        book.Add(new ResultRow(title, "requests started from the kill to every shard serving + 1 s",
            $"p50 {LoadReport.Ms(during.P50)}, p99 {LoadReport.Ms(during.P99)}, max {LoadReport.Ms(during.Max)} ({during.Count} requests); restart → ready {S(toReady)}",
            "", Verdict.Info));
    }

    /// <summary>
    /// SIGSTOP of one node for 8 s, then SIGCONT, on PostgreSQL + Redis (on SQLite a node frozen inside a commit holds
    /// the file's write lock, docs/cluster.md). The woken node must never report ready and must leave by itself.
    /// </summary>
    public async Task FreezeAsync()
    {
        const string title = "SIGSTOP of one of 3 nodes for 8 s, then SIGCONT";
        var dir = bench.NewDir("freeze");
        await using var services = await PrivateServices.StartAsync();
        var storage = new ClusterStorage(await services.NewDatabaseAsync("bench_freeze"), services.Redis);
        await using var s = await StartAsync("bench-freeze", dir, storage);
        var victim = s.Cluster[2];

        s.Load.Start();
        await s.LoadCompletes(Rate * 3, "warm-up: the first seconds open connections");
        await s.LoadCompletes(Rate * 8, "a steady state before the freeze");
        var freezeAt = s.Load.Mark("SIGSTOP node3");
        using (Signals.Freeze(victim.Pid))
            await Task.Delay(FreezeFor); // the fault itself lasts this long: nothing is waited for
        var wakeAt = s.Load.Mark("SIGCONT node3");
        using var stop = new CancellationTokenSource();
        var readyAnswers = WatchReadinessAsync(victim, stop.Token);
        var code = await victim.WaitForExitAsync(TimeSpan.FromSeconds(45));
        var exitedAt = s.Load.Mark($"node3 exited with code {code}");
        await stop.CancelAsync();
        var ready200 = await readyAnswers;
        await s.LoadCompletes(Rate * 5, "load on the two remaining nodes");
        await s.Load.StopAsync();

        var report = new LoadReport(s.Load.Scheduled);
        var frozen = report.Latency(freezeAt, wakeAt);
        var history = await DetailsAsync(title, s, report);

        book.Add(new ResultRow(title, "requests failed", $"{report.Failed.Count} of {report.Sent}" + Kinds(report), "≤ 20",
            ResultBook.AtMost(report.Failed.Count, 20)));
        book.Add(new ResultRow(title, "the woken node: readiness 200 answers, stale reads, exit",
            $"{ready200} ready answers, {history.StaleReads} stale reads, exit code {code} {S(exitedAt - wakeAt)} after SIGCONT",
            "0, 0, exits by itself", ready200 == 0 && history.StaleReads == 0 && code == 4 ? Verdict.Met : Verdict.Missed));
        book.Add(new ResultRow(title, "requests started while frozen",
            $"p50 {LoadReport.Ms(frozen.P50)}, p99 {LoadReport.Ms(frozen.P99)}, max {LoadReport.Ms(frozen.Max)} ({frozen.Count} requests)", "", Verdict.Info));
    }

    private Task<ClusterScenario> StartAsync(string name, string dir, ClusterStorage storage) =>
        ClusterScenario.StartAsync(name,
            (frontend, stats, servers) => HaproxyConfig.RetryConnectFailures(frontend, stats, servers) with { CheckInterval = "250ms" },
            ClientModel.OrdinaryWithRetries,
            customize: (_, l) => BenchNodes.Tune(l) with { LbDelay = ClusterScenario.LbDelay },
            load: o => o with { RatePerSecond = Rate },
            workDir: dir, storage: storage);

    /// <summary>Writes the scenario's per-second events and the history checker's verdict to the details; a history that lost or doubled a write fails the scenario.</summary>
    private async Task<HistoryReport> DetailsAsync(string title, ClusterScenario s, LoadReport report)
    {
        var history = await s.CheckHistoryAsync();
        book.Detail(title, $"client: {s.Load.Options.Client}, {Rate} req/s open loop, 50 % deposits; database: {s.Cluster.Storage}");
        book.Detail(title, report.Summary());
        foreach (var line in report.Events(s.Load.Marks)) book.Detail(title, line);
        book.Detail(title, history.ToString());
        if (history.Lost != 0 || history.Doubled != 0 || !history.Ok)
            throw new BenchFailure($"{title}: the history checker found lost or doubled writes: {history}");
        return history;
    }

    /// <summary>How often the node answers <c>/health/ready</c> 200 from now until <paramref name="stop"/> (every 20 ms).</summary>
    private static async Task<int> WatchReadinessAsync(NodeProcess node, CancellationToken stop)
    {
        using var client = NodeProcess.NewClient(node.ManagementUri, TimeSpan.FromSeconds(1));
        var ready = 0;
        while (!stop.IsCancellationRequested && !node.HasExited)
        {
            try
            {
                using var response = await client.GetAsync("health/ready", stop);
                if (response.StatusCode == HttpStatusCode.OK) ready++;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException) { /* not answering: fine */ }
            try { await Task.Delay(TimeSpan.FromMilliseconds(20), stop); }
            catch (OperationCanceledException) { break; }
        }
        return ready;
    }

    private static string Kinds(LoadReport report) =>
        report.FailuresByKind.Count == 0 ? "" : $" ({string.Join(", ", report.FailuresByKind.Select(kv => $"{kv.Key} {kv.Value}"))})";

    private static string S(TimeSpan t) => S(t.TotalSeconds);
    private static string S(double seconds) => seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
