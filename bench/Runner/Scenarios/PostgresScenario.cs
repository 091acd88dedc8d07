using System.Diagnostics;
using ActorService.Bench.Infra;
using ActorService.Bench.Report;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// Deposits on PostgreSQL: runs only when this build of the node accepts <c>--postgres</c>; otherwise the rows say
/// "not run" and why. Each node variant gets its own database on one private server.
/// </summary>
internal sealed class PostgresScenario(BenchContext bench, ResultBook book, ThroughputScenarios throughput)
{
    public const string Title = "POST deposit, PostgreSQL (durable, fsync per commit)";

    public async Task RunAsync()
    {
        if (!await NodeSupportsPostgresAsync())
        {
            foreach (var measured in new[] { "node with group commit ÷ baseline", "group commit on ÷ off (max-batch = 1)" })
                book.Add(new ResultRow(Title, measured, "this build of the node has no --postgres flag", "", Verdict.NotRun));
            return;
        }
        await using var postgres = await PrivatePostgres.StartAsync(bench);
        var on = await postgres.CreateDatabaseAsync("bench_group_commit_on");
        var off = await postgres.CreateDatabaseAsync("bench_group_commit_off");
        await throughput.DepositPostgresAsync(on, off);
    }

    private async Task<bool> NodeSupportsPostgresAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(bench.NodeDll);
        psi.ArgumentList.Add("--help");
        using var p = Process.Start(psi)!;
        var help = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return help.Contains("--postgres", StringComparison.Ordinal);
    }
}
