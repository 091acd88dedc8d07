using System.Text.Json;
using ActorService.Bench.Infra;
using ActorService.TestSupport;

namespace ActorService.Bench.Load;

/// <summary>One wrk run's numbers, as bench/lua/ledger.lua's done() prints them.</summary>
internal sealed record WrkResult(
    long Requests, long DurationUs, long ConnectErrors, long ReadErrors, long WriteErrors, long StatusErrors, long Timeouts,
    long P50Us, long P90Us, long P99Us, long P999Us, long MaxUs)
{
    public double RequestsPerSecond => Requests / (DurationUs / 1e6);
    public long Errors => ConnectErrors + ReadErrors + WriteErrors + StatusErrors + Timeouts;
    public string ErrorSummary => $"connect {ConnectErrors}, read {ReadErrors}, write {WriteErrors}, non-2xx {StatusErrors}, timeout {Timeouts}";
}

/// <summary>
/// Runs wrk (closed loop: a fixed number of connections, each sending its next request when the last one is
/// answered) with bench/lua/ledger.lua. Every request of a deposit run has its own Idempotency-Key.
/// </summary>
internal sealed class Wrk(BenchContext bench)
{
    public const int Threads = 2;
    public const int Connections = 64;
    private static long _nonce = Random.Shared.Next(1, 1_000_000) * 1000L;

    /// <param name="mode">get | deposit | mixed (see the Lua script).</param>
    public async Task<WrkResult> RunAsync(string url, string mode, int accounts, string prefix, TimeSpan duration, string logPath,
        int connections = Connections)
    {
        var nonce = Interlocked.Increment(ref _nonce);
        string[] args =
        [
            $"-t{Threads}", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "15s", "-s", bench.LuaScript, url,
            "--", mode, accounts.ToString(), prefix, nonce.ToString(), Threads.ToString(),
        ];
        await using var wrk = ChildProcess.Run(new ChildStart("wrk", "wrk", args, logPath));
        var exit = await wrk.WaitForExitAsync(duration + TimeSpan.FromMinutes(1));
        var line = wrk.Lines.FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new BenchFailure($"wrk printed no RESULT line (exit {exit}):\n{wrk.Tail()}");
        var json = JsonDocument.Parse(line["RESULT ".Length..]).RootElement;
        long L(string name) => json.GetProperty(name).GetInt64();
        return new WrkResult(L("requests"), L("duration_us"), L("connect_errors"), L("read_errors"), L("write_errors"),
            L("status_errors"), L("timeouts"), L("p50_us"), L("p90_us"), L("p99_us"), L("p999_us"), L("max_us"));
    }
}
