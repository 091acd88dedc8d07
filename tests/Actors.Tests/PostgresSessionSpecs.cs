using System.Diagnostics;
using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Db;
using Npgsql;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// A node cut off from PostgreSQL in the middle of a commit leaves its session idle in its transaction, holding the
/// account's row lock. The account's next activation, on a node that still reaches the database, must be able to
/// commit within seconds, not once TCP gives up on the stranded session (issue 13: in a partition spec every write of
/// the cluster timed out until the link came back).
/// </summary>
public sealed class PostgresSessionSpecs
{
    [Fact]
    public async Task Should_commit_within_seconds_when_a_stranded_session_holds_the_accounts_row_lock()
    {
        var backend = new PostgresBackend();
        var connectionString = await backend.ConnectionStringAsync();
        var store = await backend.OpenAsync();
        await using var _ = store;
        await store.CommitAsync([new PendingWrite("stranded", LedgerOperation.Deposit, 5, "k1", 0, 5)], CancellationToken.None);

        // The cut-off node's session: opened as the store opens its own, locks the row, then says nothing more.
        await using var stranded = new NpgsqlConnection(PostgresLedgerStore.SessionConnectionString(connectionString));
        await stranded.OpenAsync();
        await using var tx = await stranded.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT balance FROM accounts WHERE id = 'stranded' FOR UPDATE", stranded, tx))
            await lockRow.ExecuteScalarAsync();

        var clock = Stopwatch.StartNew();
        var commit = store.CommitAsync([new PendingWrite("stranded", LedgerOperation.Deposit, 7, "k2", 1, 12)], CancellationToken.None);
        var finished = await Task.WhenAny(commit, Task.Delay(TimeSpan.FromSeconds(30))) == commit;
        Assert.True(finished, "the commit was still blocked by the stranded session's lock after 30 s");
        Assert.Equal(new WriteOutcome.Committed(2), Assert.Single(await commit));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(PostgresLedgerStore.IdleInTransactionSeconds + 5),
            $"the commit waited {clock.Elapsed.TotalSeconds:0.0} s for the stranded session (its timeout is {PostgresLedgerStore.IdleInTransactionSeconds} s)");
    }
}
