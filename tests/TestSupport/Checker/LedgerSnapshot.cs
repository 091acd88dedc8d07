using Microsoft.Data.Sqlite;
using Npgsql;

namespace ActorService.TestSupport;

/// <summary>One applied write as the database recorded it (an outbox row: one per applied write, in the write's transaction).</summary>
public sealed record LedgerRow(string Account, string Key, Operation Operation, long Amount, long BalanceAfter, long Version);

/// <summary>An account's row: its balance and version now.</summary>
public sealed record AccountRow(string Account, long Balance, long Version);

/// <summary>What the database holds for a set of accounts, read after a scenario.</summary>
public sealed record LedgerSnapshot(IReadOnlyList<LedgerRow> Rows, IReadOnlyList<AccountRow> Accounts);

/// <summary>Reads the ledger of some accounts straight from the database, bypassing every node.</summary>
public interface ILedgerReader
{
    Task<LedgerSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken ct = default);
}

/// <summary>
/// Shared by both readers: the <c>outbox</c> table has one row per applied write (account, key, operation, amount,
/// balance and version after it; rows are pruned only 48 h after they were shipped), <c>accounts</c> the current state.
/// </summary>
internal static class LedgerQueries
{
    public const int Deposit = 1, Withdraw = 2; // LedgerOperation in src/Actors

    public static Operation ToOperation(int code) => code switch
    {
        Deposit => Operation.Deposit,
        Withdraw => Operation.Withdraw,
        _ => throw new InvalidOperationException($"unknown ledger operation {code}"),
    };

    public static IEnumerable<string[]> Batches(IReadOnlyCollection<string> accounts) => accounts.Distinct().Chunk(500);
}

/// <summary>The SQLite file the nodes share (read-only, beside them: WAL lets a reader in while they write).</summary>
public sealed class SqliteLedgerReader(string path) : ILedgerReader
{
    public async Task<LedgerSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("no ledger database", path);
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var c = new SqliteConnection(cs);
        await c.OpenAsync(ct);
        var rows = new List<LedgerRow>();
        var states = new List<AccountRow>();
        foreach (var batch in LedgerQueries.Batches(accounts))
        {
            var names = string.Join(", ", batch.Select((_, i) => $"$a{i}"));
            await using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = $"SELECT account_id, idempotency_key, operation, amount, balance_after, version FROM outbox WHERE account_id IN ({names})";
                for (var i = 0; i < batch.Length; i++) cmd.Parameters.AddWithValue($"$a{i}", batch[i]);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                    rows.Add(new LedgerRow(r.GetString(0), r.GetString(1), LedgerQueries.ToOperation(r.GetInt32(2)), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
            }
            await using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = $"SELECT id, balance, version FROM accounts WHERE id IN ({names})";
                for (var i = 0; i < batch.Length; i++) cmd.Parameters.AddWithValue($"$a{i}", batch[i]);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) states.Add(new AccountRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
            }
        }
        return new LedgerSnapshot(rows, states);
    }
}

/// <summary>The cluster's PostgreSQL database.</summary>
public sealed class PostgresLedgerReader(string connectionString) : ILedgerReader
{
    public async Task<LedgerSnapshot> ReadAsync(IReadOnlyCollection<string> accounts, CancellationToken ct = default)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync(ct);
        var rows = new List<LedgerRow>();
        var states = new List<AccountRow>();
        foreach (var batch in LedgerQueries.Batches(accounts))
        {
            await using (var cmd = new NpgsqlCommand(
                "SELECT account_id, idempotency_key, operation, amount, balance_after, version FROM outbox WHERE account_id = ANY($1)", c))
            {
                cmd.Parameters.AddWithValue(batch);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                    rows.Add(new LedgerRow(r.GetString(0), r.GetString(1), LedgerQueries.ToOperation(r.GetInt16(2)), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
            }
            await using (var cmd = new NpgsqlCommand("SELECT id, balance, version FROM accounts WHERE id = ANY($1)", c))
            {
                cmd.Parameters.AddWithValue(batch);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) states.Add(new AccountRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
            }
        }
        return new LedgerSnapshot(rows, states);
    }
}
