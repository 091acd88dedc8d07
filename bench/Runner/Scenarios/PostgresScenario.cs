using ActorService.Bench.Infra;
using ActorService.TestSupport;

namespace ActorService.Bench.Scenarios;

/// <summary>Deposits on PostgreSQL: each node variant gets its own database on one private server.</summary>
internal sealed class PostgresScenario(BenchContext bench, ThroughputScenarios throughput)
{
    public async Task RunAsync()
    {
        // scripts/test-services.sh starts it (the one PostgreSQL starter of the repository): loopback, fsync on.
        await using var postgres = await PrivateServices.StartAsync();
        bench.Log($"private PostgreSQL (scripts/test-services.sh): {postgres.Postgres}");
        var on = await postgres.NewDatabaseAsync("bench_group_commit_on");
        var off = await postgres.NewDatabaseAsync("bench_group_commit_off");
        await throughput.DepositPostgresAsync(on, off);
    }
}
