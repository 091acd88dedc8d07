using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Db;
using ActorService.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// A database written by the previous release (schema 2: keys without outcome, version or request id) opens with the
/// new one: the keys keep answering repeats, now with the version their write left the account at, and refusals can
/// be stored next to them.
/// </summary>
public sealed class SchemaMigrationSpecs
{
    private static readonly CancellationToken None = CancellationToken.None;

    // One applied deposit per key ("first": version 1, shipped; "old": version 2, not shipped yet), as schema 2 stored them.
    private const string Rows = """
        INSERT INTO ledger_meta (key, value) VALUES ('ledger_id', '0123456789abcdef0123456789abcdef');
        INSERT INTO accounts VALUES ('m1', 30, 2, 1);
        INSERT INTO idempotency_keys VALUES ('m1', 'first', 1, 10, 10, 1), ('m1', 'old', 1, 20, 30, 2);
        INSERT INTO outbox (account_id, operation, amount, balance_after, version, idempotency_key, created_at, shipped_at)
            VALUES ('m1', 1, 10, 10, 1, 'first', 1, 5), ('m1', 1, 20, 30, 2, 'old', 2, NULL);
        """;

    // The tables of schema 2 as that release created them on SQLite.
    private const string SqliteSchemaTwo = """
        CREATE TABLE accounts (id TEXT NOT NULL PRIMARY KEY, balance INTEGER NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE idempotency_keys (account_id TEXT NOT NULL, key TEXT NOT NULL, operation INTEGER NOT NULL, amount INTEGER NOT NULL,
            balance_after INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (account_id, key)) WITHOUT ROWID;
        CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
        CREATE TABLE ledger_meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, operation INTEGER NOT NULL, amount INTEGER NOT NULL,
            balance_after INTEGER NOT NULL, version INTEGER NOT NULL, idempotency_key TEXT NOT NULL, created_at INTEGER NOT NULL,
            claimed_by TEXT, claimed_until INTEGER, shipped_at INTEGER);
        PRAGMA user_version = 2;
        """;

    // ... and on PostgreSQL.
    private const string PostgresSchemaTwo = """
        CREATE TABLE ledger_meta (key text NOT NULL PRIMARY KEY, value text NOT NULL);
        INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '2');
        CREATE TABLE accounts (id text NOT NULL PRIMARY KEY, balance bigint NOT NULL, version bigint NOT NULL, updated_at bigint NOT NULL);
        CREATE TABLE idempotency_keys (account_id text NOT NULL, key text NOT NULL, operation smallint NOT NULL, amount bigint NOT NULL,
            balance_after bigint NOT NULL, created_at bigint NOT NULL, PRIMARY KEY (account_id, key));
        CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
        CREATE TABLE outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id text NOT NULL, operation smallint NOT NULL,
            amount bigint NOT NULL, balance_after bigint NOT NULL, version bigint NOT NULL, idempotency_key text NOT NULL,
            created_at bigint NOT NULL, claimed_by text, claimed_until bigint, shipped_at bigint);
        """;

    [Fact]
    public async Task Should_keep_old_keys_with_their_versions_when_a_schema_2_sqlite_file_is_opened()
    {
        var path = Path.Combine(Repo.NewWorkDir("migrate-sqlite"), "ledger.db");
        await using (var c = new SqliteConnection($"Data Source={path}"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = SqliteSchemaTwo + Rows;
            await cmd.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();

        await using var store = new SqliteLedgerStore(path, "normal", TimeSpan.FromSeconds(5));
        await store.InitializeAsync(None);
        await AssertMigrated(store);
    }

    [Fact]
    public async Task Should_keep_old_keys_with_their_versions_when_a_schema_2_postgres_database_is_opened()
    {
        var connectionString = await TestServices.NewPostgresDatabase("migrate");
        await using (var c = new NpgsqlConnection(connectionString))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = PostgresSchemaTwo + Rows;
            await cmd.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresLedgerStore(connectionString);
        await store.InitializeAsync(None);
        await AssertMigrated(store);
    }

    private static async Task AssertMigrated(ILedgerStore store)
    {
        Assert.Equal("0123456789abcdef0123456789abcdef", store.LedgerId);
        Assert.Equal(new StoredWrite(LedgerOperation.Deposit, 10, WriteResult.Applied, 10, 1, ""), await store.FindWriteAsync("m1", "first", None));
        Assert.Equal(new StoredWrite(LedgerOperation.Deposit, 20, WriteResult.Applied, 30, 2, ""), await store.FindWriteAsync("m1", "old", None));

        // The old key still repeats; a refusal and a new write are stored next to it.
        var outcomes = await store.CommitAsync(
        [
            new PendingWrite("m1", LedgerOperation.Deposit, 20, "old", 2, 50, "again"),
            new PendingWrite("m1", LedgerOperation.Withdraw, 99, "too-much", 2, 30, "r1", WriteResult.InsufficientFunds),
            new PendingWrite("m1", LedgerOperation.Deposit, 5, "new", 2, 35, "r2"),
        ], None);
        Assert.Equal(new WriteOutcome.Duplicate(new StoredWrite(LedgerOperation.Deposit, 20, WriteResult.Applied, 30, 2, ""), new AccountSnapshot("m1", 30, 2)), outcomes[0]);
        Assert.Equal(new WriteOutcome.Committed(2), outcomes[1]);
        Assert.Equal(new WriteOutcome.Committed(3), outcomes[2]);
        Assert.Equal(new AccountSnapshot("m1", 35, 3), await store.LoadAccountAsync("m1", None));
    }
}
