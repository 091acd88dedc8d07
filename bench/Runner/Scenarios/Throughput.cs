using System.Globalization;
using ActorService.Bench.Infra;
using ActorService.Bench.Load;
using ActorService.Bench.Report;
using ActorService.TestSupport;

namespace ActorService.Bench.Scenarios;

/// <summary>A server the throughput scenarios measure: the baseline or a node variant, started fresh per scenario.</summary>
internal sealed record Target(string Name, Func<BenchContext, string, HttpService> Start);

/// <summary>
/// A figure derived from two targets' throughput in the same round: numerator ÷ denominator per round, then the
/// median over the rounds. <paramref name="Judge"/> turns the median into the row's target text and verdict.
/// </summary>
internal sealed record Ratio(string Measured, string Numerator, string Denominator, Func<double, (string Value, string Target, Verdict Verdict)> Judge);

/// <summary>
/// Runs wrk against every target of a scenario in alternation: all targets start together and are seeded with the
/// same accounts; each gets one warm-up run; then every round measures each target once, the order rotating from round
/// to round so that neither is always first after a pause. Any wrk error (connect, read, timeout, non-2xx) fails the
/// scenario: a number measured while requests fail is not a throughput.
/// </summary>
internal sealed class Throughput(BenchContext bench, ResultBook book)
{
    public const int Accounts = 10_000;
    private readonly Wrk _wrk = new(bench);

    /// <param name="alsoAt">When set, one more round at this many connections (same targets), reported as the first
    /// ratio's value at that concurrency: how much of the gap is latency (a durable write waits for its commit) rather than work.</param>
    public async Task RunAsync(string id, string title, string mode, IReadOnlyList<Target> targets, int rounds, IReadOnlyList<Ratio> ratios,
        int? alsoAt = null)
    {
        var dir = bench.NewDir(id);
        var wrkLog = Path.Combine(dir, "wrk.log");
        var services = new List<HttpService>();
        try
        {
            foreach (var t in targets) services.Add(t.Start(bench, dir));
            await Task.WhenAll(services.Select(s => s.WaitReadyAsync(TimeSpan.FromSeconds(120))));
            foreach (var s in services)
            {
                var seeded = await Seeding.RunAsync(s.Uri, Accounts, 64, i => new LoadRequest(Operation.Deposit, $"acc-{i + 1}", 1, $"seed-{i + 1}"));
                if (seeded.Count(System.Net.HttpStatusCode.OK) != Accounts)
                    throw new BenchFailure($"{title}: seeding {Accounts} accounts on {s.Name} did not answer 200 each: {seeded}");
                bench.Log($"{title}: {s.Name} seeded, {seeded}");
            }
            foreach (var s in services)
            {
                var warm = await _wrk.RunAsync(s.Url, mode, Accounts, "acc-", bench.Options.Warmup, wrkLog);
                Check(title, s, warm, "warm-up");
            }

            var measured = targets.ToDictionary(t => t.Name, _ => new List<WrkResult>());
            for (var r = 0; r < rounds; r++)
            {
                var line = new List<string>();
                for (var k = 0; k < services.Count; k++)
                {
                    var s = services[(r + k) % services.Count];
                    var result = await _wrk.RunAsync(s.Url, mode, Accounts, "acc-", bench.Options.Measure, wrkLog);
                    Check(title, s, result, $"round {r + 1}");
                    measured[s.Name].Add(result);
                    line.Add($"{s.Name} {Rps(result.RequestsPerSecond)} req/s (p50 {Ms(result.P50Us)}, p99 {Ms(result.P99Us)})");
                }
                book.Detail(title, $"round {r + 1}: " + string.Join("; ", line));
            }

            foreach (var ratio in ratios)
            {
                var perRound = Enumerable.Range(0, rounds)
                    .Select(r => measured[ratio.Numerator][r].RequestsPerSecond / measured[ratio.Denominator][r].RequestsPerSecond).ToList();
                var median = Stats.Median(perRound);
                var (value, target, verdict) = ratio.Judge(median);
                var medNum = Stats.Median(measured[ratio.Numerator].Select(x => x.RequestsPerSecond));
                var medDen = Stats.Median(measured[ratio.Denominator].Select(x => x.RequestsPerSecond));
                book.Add(new ResultRow(title, ratio.Measured,
                    $"{value} ({ratio.Numerator} {Rps(medNum)}, {ratio.Denominator} {Rps(medDen)} req/s)", target, verdict));
                book.Detail(title, $"{ratio.Numerator} ÷ {ratio.Denominator} per round: {string.Join(", ", perRound.Select(x => x.ToString("0.000", CultureInfo.InvariantCulture)))}");
            }

            if (alsoAt is { } connections)
            {
                var first = ratios[0];
                var at = new Dictionary<string, WrkResult>();
                foreach (var name in new[] { first.Denominator, first.Numerator })
                {
                    var s = services.Single(x => x.Name == name);
                    var result = await _wrk.RunAsync(s.Url, mode, Accounts, "acc-", bench.Options.Measure, wrkLog, connections);
                    Check(title, s, result, $"{connections} connections");
                    at[name] = result;
                }
                var value = at[first.Numerator].RequestsPerSecond / at[first.Denominator].RequestsPerSecond;
                book.Detail(title, $"one round at {connections} connections: " + string.Join("; ", at.Select(kv =>
                    $"{kv.Key} {Rps(kv.Value.RequestsPerSecond)} req/s (p50 {Ms(kv.Value.P50Us)}, p99 {Ms(kv.Value.P99Us)})")));
                book.Add(new ResultRow(title, $"{first.Measured}, at {connections} connections (one round)",
                    $"{F2(value)} ({first.Numerator} {Rps(at[first.Numerator].RequestsPerSecond)}, {first.Denominator} {Rps(at[first.Denominator].RequestsPerSecond)} req/s)", "", Verdict.Info));
            }
        }
        finally
        {
            foreach (var s in services) await s.DisposeAsync();
        }
    }

    private static void Check(string title, HttpService s, WrkResult r, string run)
    {
        if (r.Errors > 0 || r.Requests == 0)
            throw new BenchFailure($"{title}: {s.Name} {run}: {r.Requests} requests with errors ({r.ErrorSummary}); log {s.Process.LogPath}:\n{s.Process.Tail(15)}");
    }

    public static string Rps(double v) => v.ToString("#,0", CultureInfo.InvariantCulture);
    public static string Ms(long us) => (us / 1000.0).ToString(us < 10_000 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";
    /// <summary>Ratios get three decimals: a value such as 0.747 must not print as a "0.75" that missed 0.75.</summary>
    public static string F2(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
}
