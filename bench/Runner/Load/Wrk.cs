using System.Diagnostics;
using System.Text.Json;
using ActorService.Bench.Infra;

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
        int connections = Connections, CancellationToken ct = default)
    {
        var nonce = Interlocked.Increment(ref _nonce);
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     $"-t{Threads}", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "15s", "-s", bench.LuaScript, url,
                     "--", mode, accounts.ToString(), prefix, nonce.ToString(), Threads.ToString(),
                 })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new BenchFailure("cannot start wrk");
        var pidFile = Path.Combine(bench.PidDir, process.Id.ToString());
        await File.WriteAllTextAsync(pidFile, "wrk", ct);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var output = await stdout + await stderr;
            await File.AppendAllTextAsync(logPath, $"# wrk {string.Join(' ', psi.ArgumentList)}\n{output}\n", ct);
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new BenchFailure($"wrk printed no RESULT line (exit {process.ExitCode}):\n{output}");
            var json = JsonDocument.Parse(line["RESULT ".Length..]).RootElement;
            long L(string name) => json.GetProperty(name).GetInt64();
            return new WrkResult(L("requests"), L("duration_us"), L("connect_errors"), L("read_errors"), L("write_errors"),
                L("status_errors"), L("timeouts"), L("p50_us"), L("p90_us"), L("p99_us"), L("p999_us"), L("max_us"));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            File.Delete(pidFile);
        }
    }
}
