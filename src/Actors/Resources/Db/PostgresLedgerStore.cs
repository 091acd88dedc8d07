using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Events;
using Npgsql;
using NpgsqlTypes;

namespace ActorService.Actors.Resources.Db;

/// <summary>
/// The clustered backend: PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>. Every node of a cluster
/// shares the database; the version check on each balance change keeps a second activation of an account (split
/// brain, late hand-off) from overwriting a newer balance. Statements are prepared: the data source turns on
/// Npgsql's automatic preparation (unless the connection string chose otherwise), so each pooled physical
/// connection parses a statement once and then only binds and executes it.
/// </summary>
public sealed class PostgresLedgerStore : ILedgerStore, IOutboxStore
{
    // Any constant works; it only has to be the same for every node. Held for the migration transaction only.
    private const long MigrationLockKey = 0x4163_746f_724c_6467; // "ActorLdg"

    // Schema versions, applied in order; ledger_meta.schema_version records the last one. Each runs once, under the
    // advisory lock, so nodes that start at the same moment never race on DDL.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS accounts (
            id         text   NOT NULL PRIMARY KEY,
            balance    bigint NOT NULL,
            version    bigint NOT NULL,
            updated_at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            account_id    text     NOT NULL,
            key           text     NOT NULL,
            operation     smallint NOT NULL,
            amount        bigint   NOT NULL,
            balance_after bigint   NOT NULL,
            created_at    bigint   NOT NULL,
            PRIMARY KEY (account_id, key)
        );
        CREATE INDEX IF NOT EXISTS ix_idempotency_keys_created_at ON idempotency_keys (created_at);
        """,
        """
        INSERT INTO ledger_meta (key, value) VALUES ('ledger_id', replace(gen_random_uuid()::text, '-', '')) ON CONFLICT (key) DO NOTHING;
        CREATE TABLE IF NOT EXISTS outbox (
            id              bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account_id      text     NOT NULL,
            operation       smallint NOT NULL,
            amount          bigint   NOT NULL,
            balance_after   bigint   NOT NULL,
            version         bigint   NOT NULL,
            idempotency_key text     NOT NULL,
            created_at      bigint   NOT NULL,
            claimed_by      text,
            claimed_until   bigint,
            shipped_at      bigint
        );
        CREATE INDEX IF NOT EXISTS ix_outbox_unshipped ON outbox (id) WHERE shipped_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_outbox_shipped_at ON outbox (shipped_at) WHERE shipped_at IS NOT NULL;
        """,
        // v3: refusals are stored with their key (result), and every key row records the version it left the account
        // at and the request that decided it. Rows from before were applied writes: their version is the one their
        // outbox row recorded (an outbox row outlives its key row, so every key still stored has one).
        """
        ALTER TABLE idempotency_keys
            ADD COLUMN IF NOT EXISTS result     smallint NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS version    bigint   NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS request_id text     NOT NULL DEFAULT '';
        UPDATE idempotency_keys AS k SET version = o.version
        FROM outbox AS o WHERE o.account_id = k.account_id AND o.idempotency_key = k.key AND k.version = 0;
        """,
    ];

    private const string KeyColumns = "operation, amount, result, balance_after, version, request_id";
    private const string FindKeySql = $"SELECT {KeyColumns} FROM idempotency_keys WHERE account_id = $1 AND key = $2";
    private const string LoadAccountSql = "SELECT balance, version FROM accounts WHERE id = $1";

    // One write, as one statement: the same steps as SqliteLedgerStore.Apply (key check; for an applied write the
    // version-and-balance-checked insert or update, for a refusal the check that the account still stands where it was
    // refused; key row; outbox event for an applied write), each step running only if the one before let it. The
    // statement returns the outcome: the version after (decision recorded), or the earlier write under this key
    // (duplicate), and the account row (for a duplicate or a conflict). Being one statement, a batch of them goes to
    // the server in one round trip (see CommitAsync); statements of one transaction run in order and each sees the
    // ones before it (within one statement, every part sees the account as it was before the statement).
    // $1 account, $2 key, $3 operation, $4 amount, $5 new balance, $6 now, $7 expected version, $8 basis balance,
    // $9 result (0 applied, else the refusal), $10 request id.
    private const string ApplyWriteSql = $"""
        WITH prior AS (
            SELECT {KeyColumns} FROM idempotency_keys WHERE account_id = $1 AND key = $2
        ), inserted AS (
            INSERT INTO accounts (id, balance, version, updated_at)
            SELECT $1, $5, 1, $6 WHERE $9 = 0 AND $7 = 0 AND NOT EXISTS (SELECT 1 FROM prior)
            ON CONFLICT (id) DO NOTHING
            RETURNING version
        ), updated AS (
            UPDATE accounts SET balance = $5, version = version + 1, updated_at = $6
            WHERE $9 = 0 AND $7 <> 0 AND id = $1 AND version = $7 AND balance = $8 AND NOT EXISTS (SELECT 1 FROM prior)
            RETURNING version
        ), refused AS (
            SELECT $7 AS version WHERE $9 <> 0 AND NOT EXISTS (SELECT 1 FROM prior) AND CASE
                WHEN $7 = 0 THEN NOT EXISTS (SELECT 1 FROM accounts WHERE id = $1)
                ELSE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND version = $7 AND balance = $8) END
        ), decided AS (
            SELECT version FROM inserted UNION ALL SELECT version FROM updated UNION ALL SELECT version FROM refused
        ), key_row AS (
            INSERT INTO idempotency_keys (account_id, key, {KeyColumns}, created_at)
            SELECT $1, $2, $3, $4, $9, $5, version, $10, $6 FROM decided
        ), event_row AS (
            INSERT INTO outbox (account_id, operation, amount, balance_after, version, idempotency_key, created_at)
            SELECT $1, $3, $4, $5, version, $2, $6 FROM decided WHERE $9 = 0
        )
        SELECT (SELECT version FROM decided), p.operation, p.amount, p.result, p.balance_after, p.version, p.request_id, a.balance, a.version
        FROM (SELECT 1) AS one
        LEFT JOIN prior AS p ON true
        LEFT JOIN accounts AS a ON a.id = $1
        """;

    private readonly NpgsqlDataSource _dataSource;

    /// <param name="connectionString">An Npgsql connection string (host, port, database, user, password, pool and timeout settings).</param>
    public PostgresLedgerStore(string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(SessionConnectionString(connectionString));
        Where = $"{csb.Host}:{csb.Port}/{csb.Database}";
        _dataSource = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
    }

    /// <summary>The seconds a session of this store may sit idle inside a transaction before the server ends it.</summary>
    public const int IdleInTransactionSeconds = 5;

    /// <summary>
    /// The connection string the store's sessions use: automatic preparation, an application name, and
    /// <c>idle_in_transaction_session_timeout</c> (unless the connection string's <c>Options</c> set it). A node cut off
    /// from the database in the middle of a commit (a network partition, a frozen process) leaves its session idle
    /// in its transaction, holding the row locks of the accounts it was writing, until TCP gives up (hours). The
    /// accounts' new activations on the surviving nodes then block on those locks, and with them every write grouped
    /// into the same commit: in a partition spec the whole cluster's writes timed out until the link came back. With
    /// the timeout, the server ends such a session after a few seconds and rolls its transaction back (the node that
    /// sent it reports its outcome unknown, which is true). Our own transactions never idle: they are sent at once.
    /// </summary>
    public static string SessionConnectionString(string connectionString)
    {
        NpgsqlConnectionStringBuilder csb;
        try { csb = new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException e) { throw new ArgumentException($"the PostgreSQL connection string is not valid: {e.Message}", e); }
        if (csb.MaxAutoPrepare == 0) csb.MaxAutoPrepare = 32;   // the ledger uses a dozen statements: prepare them all
        if (csb.AutoPrepareMinUsages == 5) csb.AutoPrepareMinUsages = 2;
        if (string.IsNullOrEmpty(csb.ApplicationName)) csb.ApplicationName = "actorservice";
        if (csb.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) != true)
            csb.Options = $"{csb.Options} -c idle_in_transaction_session_timeout={IdleInTransactionSeconds * 1000}".Trim();
        return csb.ConnectionString;
    }

    public string Backend => "postgres";
    public string LedgerId { get; private set; } = "";
    /// <summary>host:port/database, for logs (never the password).</summary>
    public string Where { get; }

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        // Serialises concurrent starters; released with the transaction. DDL inside is transactional in PostgreSQL,
        // so a starter that crashes halfway leaves nothing behind.
        await Exec(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", ct);
        await Exec(c, tx, "CREATE TABLE IF NOT EXISTS ledger_meta (key text NOT NULL PRIMARY KEY, value text NOT NULL)", ct);
        var current = Convert.ToInt32(await Scalar(c, tx, "SELECT coalesce((SELECT value FROM ledger_meta WHERE key = 'schema_version'), '0')::int", ct));
        for (var v = current; v < Migrations.Length; v++) await Exec(c, tx, Migrations[v], ct);
        if (current < Migrations.Length)
            await Exec(c, tx, $"INSERT INTO ledger_meta (key, value) VALUES ('schema_version', '{Migrations.Length}') ON CONFLICT (key) DO UPDATE SET value = excluded.value", ct);
        LedgerId = Convert.ToString(await Scalar(c, tx, "SELECT value FROM ledger_meta WHERE key = 'ledger_id'", ct))!;
        await tx.CommitAsync(ct);
    }

    public async Task<AccountSnapshot?> LoadAccountAsync(string accountId, CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        return await ReadAccount(c, null, accountId, ct);
    }

    public async Task<StoredWrite?> FindWriteAsync(string accountId, string idempotencyKey, CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        return await ReadKey(c, null, accountId, idempotencyKey, ct);
    }

    /// <summary>
    /// The whole batch is one transaction and one round trip: BEGIN, one <see cref="ApplyWriteSql"/> per write, COMMIT,
    /// pipelined by <see cref="NpgsqlBatch"/>. No statement fails in normal operation (a concurrent writer of the same
    /// account makes the UPDATE match no row once it committed, or the INSERT do nothing), so one write never aborts
    /// the batch.
    /// </summary>
    public async Task<IReadOnlyList<WriteOutcome>> CommitAsync(IReadOnlyList<PendingWrite> batch, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var outcomes = new WriteOutcome[batch.Count];
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var statements = new NpgsqlBatch(c, tx))
        {
            foreach (var w in batch)
            {
                var s = new NpgsqlBatchCommand(ApplyWriteSql);
                foreach (var v in new object[] { w.AccountId, w.IdempotencyKey, (short)w.Operation, w.Amount, w.NewBalance, now, w.ExpectedVersion, w.BasisBalance, (short)w.Result, w.RequestId })
                    s.Parameters.Add(new NpgsqlParameter { Value = v });
                statements.BatchCommands.Add(s);
            }
            await using var r = await statements.ExecuteReaderAsync(ct);
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0) await r.NextResultAsync(ct);
                await r.ReadAsync(ct);
                outcomes[i] = ReadOutcome(r, batch[i].AccountId);
            }
        }
        await tx.CommitAsync(ct);
        return outcomes;
    }

    private static WriteOutcome ReadOutcome(NpgsqlDataReader r, string accountId)
    {
        var current = r.IsDBNull(7) ? null : new AccountSnapshot(accountId, r.GetInt64(7), r.GetInt64(8));
        if (!r.IsDBNull(0)) return new WriteOutcome.Committed(r.GetInt64(0));
        if (!r.IsDBNull(1)) return new WriteOutcome.Duplicate(ReadStoredWrite(r, 1), current);
        return new WriteOutcome.VersionConflict(current);
    }

    /// <summary>Reads the <see cref="KeyColumns"/> starting at column <paramref name="first"/>.</summary>
    private static StoredWrite ReadStoredWrite(NpgsqlDataReader r, int first) =>
        new((LedgerOperation)r.GetInt16(first), r.GetInt64(first + 1), (WriteResult)r.GetInt16(first + 2), r.GetInt64(first + 3),
            r.GetInt64(first + 4), r.GetString(first + 5));

    private static async Task<StoredWrite?> ReadKey(NpgsqlConnection c, NpgsqlTransaction? tx, string accountId, string key, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, FindKeySql, accountId, key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadStoredWrite(r, 0) : null;
    }

    private static async Task<AccountSnapshot?> ReadAccount(NpgsqlConnection c, NpgsqlTransaction? tx, string accountId, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, LoadAccountSql, accountId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new AccountSnapshot(accountId, r.GetInt64(0), r.GetInt64(1)) : null;
    }

    public async Task<DeletedRows> DeleteKeysOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        var t = cutoff.ToUnixTimeMilliseconds();
        // Bounded by a LIMITed sub-select on the key, so each statement locks and logs at most `limit` rows.
        var outbox = await Run(c, null,
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE shipped_at < $1 LIMIT $2)", ct, t, limit);
        var keys = await Run(c, null, """
            DELETE FROM idempotency_keys WHERE (account_id, key) IN
                (SELECT account_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)
            """, ct, t, limit);
        return new DeletedRows(keys, outbox);
    }

    public async Task<IReadOnlyList<OutboxEvent>> ClaimUnshippedAsync(string owner, int max, TimeSpan lease, CancellationToken ct, long upToId = long.MaxValue)
    {
        // SKIP LOCKED: two publishers claiming at the same moment take disjoint rows instead of waiting on each other.
        const string sql = $"""
            UPDATE outbox SET claimed_by = $1, claimed_until = $2
            WHERE id IN (SELECT id FROM outbox
                         WHERE shipped_at IS NULL AND id <= $5 AND (claimed_by IS NULL OR claimed_by = $1 OR claimed_until < $3)
                         ORDER BY id LIMIT $4
                         FOR UPDATE SKIP LOCKED)
            RETURNING {OutboxEvent.Columns}
            """;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        await using var cmd = Command(c, null, sql, owner, now + (long)lease.TotalMilliseconds, now, max, upToId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await OutboxEvent.ReadAllAsync(r, ct);
    }

    public async Task MarkShippedAsync(IReadOnlyList<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        await using var cmd = Command(c, null, "UPDATE outbox SET shipped_at = $1, claimed_by = NULL, claimed_until = NULL WHERE id = ANY($2)",
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = ids.ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> LastIdAsync(CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        return Convert.ToInt64(await Scalar(c, null, "SELECT coalesce(max(id), 0) FROM outbox", ct));
    }

    public async Task<long> CountUnshippedAsync(CancellationToken ct)
    {
        await using var c = await _dataSource.OpenConnectionAsync(ct);
        return Convert.ToInt64(await Scalar(c, null, "SELECT count(*) FROM outbox WHERE shipped_at IS NULL", ct));
    }

    /// <summary>
    /// Npgsql marks network failures, timeouts and the server's retry-worthy errors (serialization failure, deadlock,
    /// shutdown, too many connections) as transient.
    /// </summary>
    public bool IsTransient(Exception error) => error.GetBaseException() is NpgsqlException { IsTransient: true } || error is NpgsqlException { IsTransient: true };

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object[] values)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        return cmd;
    }

    private static async Task<int> Run(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] values)
    {
        await using var cmd = Command(c, tx, sql, values);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        return await cmd.ExecuteScalarAsync(ct);
    }
}
