using System.Text.Json;
using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Events;
using Microsoft.Data.Sqlite;

namespace ActorService.Actors.Resources.Db;

/// <summary>
/// The embedded default: one SQLite file in the data folder, WAL mode so reads never wait for the writer and
/// several node processes on one machine can share the file. Writes go through one dedicated connection inside
/// <c>BEGIN IMMEDIATE</c> transactions (the write lock is taken up front, so two processes never deadlock on a
/// lock upgrade); reads use pooled connections.
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore, IOutboxStore
{
    // Schema versions, applied in order inside one write transaction; PRAGMA user_version records the last one.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS accounts (
            id         TEXT    NOT NULL PRIMARY KEY,
            balance    INTEGER NOT NULL,
            version    INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            account_id    TEXT    NOT NULL,
            key           TEXT    NOT NULL,
            operation     INTEGER NOT NULL,
            amount        INTEGER NOT NULL,
            balance_after INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (account_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_idempotency_keys_created_at ON idempotency_keys (created_at);
        """,
        // v2: the transactional outbox (one row per applied write) and the database's identity.
        """
        CREATE TABLE IF NOT EXISTS ledger_meta (
            key   TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO ledger_meta (key, value) VALUES ('ledger_id', lower(hex(randomblob(16)))) ON CONFLICT (key) DO NOTHING;
        CREATE TABLE IF NOT EXISTS outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            account_id      TEXT    NOT NULL,
            operation       INTEGER NOT NULL,
            amount          INTEGER NOT NULL,
            balance_after   INTEGER NOT NULL,
            version         INTEGER NOT NULL,
            idempotency_key TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            claimed_by      TEXT,
            claimed_until   INTEGER,
            shipped_at      INTEGER
        );
        CREATE INDEX IF NOT EXISTS ix_outbox_unshipped ON outbox (id) WHERE shipped_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_outbox_shipped_at ON outbox (shipped_at) WHERE shipped_at IS NOT NULL;
        """,
        // v3: refusals are stored with their key (result), and every key row records the version it left the account
        // at and the request that decided it. Rows from before were applied writes: their version is the one their
        // outbox row recorded (an outbox row outlives its key row, so every key still stored has one).
        """
        ALTER TABLE idempotency_keys ADD COLUMN result INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE idempotency_keys ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE idempotency_keys ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
        CREATE INDEX ix_outbox_migration_v3 ON outbox (account_id, idempotency_key);
        UPDATE idempotency_keys SET version = coalesce((SELECT max(o.version) FROM outbox AS o
            WHERE o.account_id = idempotency_keys.account_id AND o.idempotency_key = idempotency_keys.key), 0);
        DROP INDEX ix_outbox_migration_v3;
        """,
    ];

    private const string KeyColumns = "operation, amount, result, balance_after, version, request_id";

    private readonly string _connectionString;
    private readonly string _synchronous;
    private SqliteConnection? _writer;
    private SqliteCommand? _findKey, _loadAccount, _insertAccount, _updateAccount, _insertKey, _insertOutbox;
    private volatile bool _disposed;

    public SqliteLedgerStore(string path, string synchronous, TimeSpan busyTimeout)
    {
        Path = path;
        _synchronous = synchronous.ToUpperInvariant() switch
        {
            "FULL" or "NORMAL" or "EXTRA" => synchronous.ToUpperInvariant(),
            _ => throw new ArgumentException($"actor-service.db.sqlite.synchronous must be full, normal or extra, not '{synchronous}'"),
        };
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString();
        BusyTimeout = busyTimeout;
    }

    public string Backend => "sqlite";
    public string LedgerId { get; private set; } = "";
    public string Path { get; }
    private TimeSpan BusyTimeout { get; }

    public async Task InitializeAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = await OpenAsync(ct);
        // WAL is a property of the file: set once, every process sees it.
        Exec(_writer, "PRAGMA journal_mode=WAL;");
        Migrate(_writer);
        LedgerId = Convert.ToString(Scalar(_writer, "SELECT value FROM ledger_meta WHERE key = 'ledger_id';"))!;
        PrepareWriterCommands(_writer);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // busy_timeout makes a second process wait for the write lock instead of failing at once;
        // synchronous=FULL fsyncs the WAL at every commit, so an acknowledged write survives power loss, not just kill -9.
        Exec(connection, $"PRAGMA busy_timeout={(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous={_synchronous};");
        return connection;
    }

    private static void Migrate(SqliteConnection connection)
    {
        Exec(connection, "BEGIN IMMEDIATE;");
        try
        {
            var current = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"));
            for (var v = current; v < Migrations.Length; v++) Exec(connection, Migrations[v]);
            Exec(connection, $"PRAGMA user_version={Migrations.Length};");
            Exec(connection, "COMMIT;");
        }
        catch
        {
            Exec(connection, "ROLLBACK;");
            throw;
        }
    }

    private void PrepareWriterCommands(SqliteConnection c)
    {
        _findKey = Command(c, $"SELECT {KeyColumns} FROM idempotency_keys WHERE account_id = $a AND key = $k", "$a", "$k");
        _loadAccount = Command(c, "SELECT balance, version FROM accounts WHERE id = $a", "$a");
        _insertAccount = Command(c, "INSERT INTO accounts (id, balance, version, updated_at) VALUES ($a, $b, 1, $t) ON CONFLICT (id) DO NOTHING", "$a", "$b", "$t");
        _updateAccount = Command(c, "UPDATE accounts SET balance = $b, version = version + 1, updated_at = $t WHERE id = $a AND version = $v AND balance = $p", "$a", "$b", "$t", "$v", "$p");
        _insertKey = Command(c, $"INSERT INTO idempotency_keys (account_id, key, {KeyColumns}, created_at) VALUES ($a, $k, $o, $m, $r, $b, $v, $q, $t)",
            "$a", "$k", "$o", "$m", "$r", "$b", "$v", "$q", "$t");
        _insertOutbox = Command(c, "INSERT INTO outbox (account_id, operation, amount, balance_after, version, idempotency_key, created_at) VALUES ($a, $o, $m, $b, $v, $k, $t)", "$a", "$o", "$m", "$b", "$v", "$k", "$t");
    }

    public async Task<AccountSnapshot?> LoadAccountAsync(string accountId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT balance, version FROM accounts WHERE id = $a";
        cmd.Parameters.AddWithValue("$a", accountId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new AccountSnapshot(accountId, r.GetInt64(0), r.GetInt64(1)) : null;
    }

    public async Task<StoredWrite?> FindWriteAsync(string accountId, string idempotencyKey, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {KeyColumns} FROM idempotency_keys WHERE account_id = $a AND key = $k";
        cmd.Parameters.AddWithValue("$a", accountId);
        cmd.Parameters.AddWithValue("$k", idempotencyKey);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadStoredWrite(r) : null;
    }

    public Task<IReadOnlyList<WriteOutcome>> CommitAsync(IReadOnlyList<PendingWrite> batch, CancellationToken ct)
    {
        var writer = _writer ?? throw new InvalidOperationException("The SQLite store is not open.");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var outcomes = new WriteOutcome[batch.Count];
        Exec(writer, "BEGIN IMMEDIATE;");
        try
        {
            for (var i = 0; i < batch.Count; i++) outcomes[i] = Apply(batch[i], now);
            Exec(writer, "COMMIT;");
        }
        catch
        {
            TryRollback(writer);
            throw;
        }
        return Task.FromResult<IReadOnlyList<WriteOutcome>>(outcomes);
    }

    // Order matters: the key check first (a repeat changes nothing), then the version-and-balance check (an applied
    // write changes the balance in the same statement; a refusal only checks it still stands), then the key row and,
    // for an applied write, the outbox event. None of these statements fails in the normal course, so one write never
    // aborts the batch.
    private WriteOutcome Apply(PendingWrite w, long now)
    {
        var original = ReadKey(w.AccountId, w.IdempotencyKey);
        if (original is not null) return new WriteOutcome.Duplicate(original, ReadAccount(w.AccountId));

        if (w.Result == WriteResult.Applied)
        {
            var changed = w.ExpectedVersion == 0
                ? Run(_insertAccount!, w.AccountId, w.NewBalance, now)
                : Run(_updateAccount!, w.AccountId, w.NewBalance, now, w.ExpectedVersion, w.BasisBalance);
            if (changed == 0) return new WriteOutcome.VersionConflict(ReadAccount(w.AccountId));
        }
        else
        {
            var current = ReadAccount(w.AccountId);
            var basisStands = w.ExpectedVersion == 0
                ? current is null
                : current is { } c && c.Version == w.ExpectedVersion && c.Balance == w.BasisBalance;
            if (!basisStands) return new WriteOutcome.VersionConflict(current);
        }

        Run(_insertKey!, w.AccountId, w.IdempotencyKey, (int)w.Operation, w.Amount, (int)w.Result, w.NewBalance, w.VersionAfter, w.RequestId, now);
        if (w.Result == WriteResult.Applied)
            Run(_insertOutbox!, w.AccountId, (int)w.Operation, w.Amount, w.NewBalance, w.VersionAfter, w.IdempotencyKey, now);
        return new WriteOutcome.Committed(w.VersionAfter);
    }

    private StoredWrite? ReadKey(string accountId, string key)
    {
        Bind(_findKey!, accountId, key);
        using var r = _findKey!.ExecuteReader();
        return r.Read() ? ReadStoredWrite(r) : null;
    }

    /// <summary>Reads the <see cref="KeyColumns"/> of one row.</summary>
    private static StoredWrite ReadStoredWrite(System.Data.Common.DbDataReader r) =>
        new((LedgerOperation)r.GetInt32(0), r.GetInt64(1), (WriteResult)r.GetInt16(2), r.GetInt64(3), r.GetInt64(4), r.GetString(5));

    private AccountSnapshot? ReadAccount(string accountId)
    {
        Bind(_loadAccount!, accountId);
        using var r = _loadAccount!.ExecuteReader();
        return r.Read() ? new AccountSnapshot(accountId, r.GetInt64(0), r.GetInt64(1)) : null;
    }

    public async Task<DeletedRows> DeleteKeysOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.Parameters.AddWithValue("$t", cutoff.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$n", limit);
        // Each statement is its own short write transaction: SQLite has one writer at a time, and a delete of a
        // whole day's keys in one statement would keep every group commit waiting until it finished.
        cmd.CommandText = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE shipped_at < $t LIMIT $n)";
        var outbox = await cmd.ExecuteNonQueryAsync(ct);
        cmd.CommandText = """
            DELETE FROM idempotency_keys WHERE (account_id, key) IN
                (SELECT account_id, key FROM idempotency_keys WHERE created_at < $t LIMIT $n)
            """;
        var keys = await cmd.ExecuteNonQueryAsync(ct);
        return new DeletedRows(keys, outbox);
    }

    public async Task<IReadOnlyList<OutboxEvent>> ClaimUnshippedAsync(string owner, int max, TimeSpan lease, CancellationToken ct, long upToId = long.MaxValue)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        // One statement, so it is atomic; the write lock serialises claimers of other processes on the same file.
        cmd.CommandText = $"""
            UPDATE outbox SET claimed_by = $owner, claimed_until = $until
            WHERE id IN (SELECT id FROM outbox
                         WHERE shipped_at IS NULL AND id <= $upTo AND (claimed_by IS NULL OR claimed_by = $owner OR claimed_until < $now)
                         ORDER BY id LIMIT $max)
            RETURNING {OutboxEvent.Columns}
            """;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        cmd.Parameters.AddWithValue("$owner", owner);
        cmd.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
        cmd.Parameters.AddWithValue("$now", now);
        cmd.Parameters.AddWithValue("$max", max);
        cmd.Parameters.AddWithValue("$upTo", upToId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await OutboxEvent.ReadAllAsync(r, ct);
    }

    public async Task MarkShippedAsync(IReadOnlyList<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE outbox SET shipped_at = $t, claimed_by = NULL, claimed_until = NULL WHERE id IN (SELECT value FROM json_each($ids))";
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(ids));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> LastIdAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(id), 0) FROM outbox";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    public async Task<long> CountUnshippedAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM outbox WHERE shipped_at IS NULL";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    public bool IsTransient(Exception error) => error is SqliteException
    {
        SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_PROTOCOL
    };

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var cmd in new[] { _findKey, _loadAccount, _insertAccount, _updateAccount, _insertKey, _insertOutbox })
            if (cmd is not null) await cmd.DisposeAsync();
        if (_writer is not null) await _writer.DisposeAsync();
        _writer = null;
        // Pooled read connections hold the file open; release them so the WAL is checkpointed and the file closed.
        SqliteConnection.ClearAllPools();
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, params string[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter { ParameterName = p });
        cmd.Prepare();
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, params object[] values)
    {
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
    }

    private static int Run(SqliteCommand cmd, params object[] values)
    {
        Bind(cmd, values);
        return cmd.ExecuteNonQuery();
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static void TryRollback(SqliteConnection c)
    {
        try { Exec(c, "ROLLBACK;"); }
        catch (SqliteException) { /* the failed statement may already have ended the transaction */ }
    }
}
