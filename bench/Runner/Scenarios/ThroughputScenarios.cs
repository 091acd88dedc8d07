using System.Globalization;
using ActorService.Bench.Infra;
using ActorService.Bench.Report;

namespace ActorService.Bench.Scenarios;

/// <summary>The throughput scenarios of issue 6 and their targets (ratios within one run).</summary>
internal sealed class ThroughputScenarios(BenchContext bench, ResultBook book)
{
    private const string GroupCommitOff = "actor-service.db.group-commit.max-batch = 1";
    private const string IntakeGateOff = "actor-service.http.intake-gate = off";
    private readonly Throughput _throughput = new(bench, book);

    private static Target Baseline => new("baseline", (b, dir) => HttpService.StartBaseline(b, "baseline", dir));

    private static Target Node(string name, string? postgres = null, params string[] hocon) =>
        new(name, (_, dir) => HttpService.StartNode(name, BenchNodes.Launch(Path.Combine(dir, name + "-data"), hocon, postgres)));

    private static Func<double, (string, string, Verdict)> AtLeast(double target) =>
        v => (Throughput.F2(v), "≥ " + target.ToString("0.00", CultureInfo.InvariantCulture), ResultBook.AtLeast(v, target));

    private static (string, string, Verdict) Info(double v) => (Throughput.F2(v), "", Verdict.Info);

    public Task GetAsync() => _throughput.RunAsync("get", "GET of an active account", "get",
        [Baseline, Node("node")], bench.Options.Rounds,
        [new Ratio("node ÷ baseline, req/s", "node", "baseline", AtLeast(0.75))]);

    public Task DepositSqliteAsync() => _throughput.RunAsync("deposit-sqlite", "POST deposit, SQLite (durable, fsync per commit)", "deposit",
        [Baseline, Node("node"), Node("node-no-group-commit", null, GroupCommitOff)], bench.Options.Rounds,
        [
            new Ratio("node with group commit ÷ baseline", "node", "baseline", AtLeast(0.40)),
            new Ratio("group commit on ÷ off (max-batch = 1)", "node", "node-no-group-commit", AtLeast(3)),
        ], alsoAt: 256);

    public Task DepositPostgresAsync(string connectionOn, string connectionOff) => _throughput.RunAsync("deposit-postgres",
        "POST deposit, PostgreSQL (durable, fsync per commit)", "deposit",
        [Baseline, Node("node-pg", connectionOn), Node("node-pg-no-group-commit", connectionOff, GroupCommitOff)], bench.Options.Rounds,
        [
            new Ratio("node with group commit ÷ baseline", "node-pg", "baseline", Info),
            new Ratio("group commit on ÷ off (max-batch = 1)", "node-pg", "node-pg-no-group-commit", AtLeast(3)),
        ]);

    public Task MixedAsync() => _throughput.RunAsync("mixed", "Mixed 50 % GET / 50 % deposit, SQLite", "mixed",
        [Baseline, Node("node")], bench.Options.Rounds,
        [new Ratio("node ÷ baseline, req/s", "node", "baseline", Info)]);

    /// <summary>GET is the cheapest request, so a fixed per-request cost shows most there.</summary>
    public Task IntakeGateAsync() => _throughput.RunAsync("intake-gate", "Intake gate + request tracking (GET)", "get",
        [Node("gate-on"), Node("gate-off", null, IntakeGateOff)], bench.Options.GateRounds,
        [
            new Ratio("throughput cost: 1 − on ÷ off", "gate-on", "gate-off", v =>
            {
                var cost = 1 - v;
                return ((cost * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %", "≤ 2 %", ResultBook.AtMost(cost, 0.02));
            }),
        ]);
}
