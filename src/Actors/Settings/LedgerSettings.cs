using Akka.Configuration;

namespace ActorService.Actors.Settings;

/// <summary>How account entities behave (<c>actor-service.accounts</c> in hocon.conf).</summary>
public sealed record AccountSettings(int ShardCount, TimeSpan PassivateAfter, int RecentKeys, TimeSpan CommitTimeout)
{
    /// <summary>Shards the coordinator moves at once off a draining node or onto a warm one (Accounts/Placement).</summary>
    public int ShardMovesAtOnce { get; init; } = 5;
}

/// <summary>Which database backs the ledger and how it commits (<c>actor-service.db</c>).</summary>
public sealed record DbSettings(
    string Backend,
    string DataDir,
    string SqliteFile,
    string SqliteSynchronous,
    TimeSpan SqliteBusyTimeout,
    string PostgresConnectionString,
    int MaxBatch,
    TimeSpan Linger,
    int RetryAttempts,
    TimeSpan RetryBaseDelay,
    TimeSpan RetryMaxDelay,
    TimeSpan IdempotencyRetention,
    TimeSpan KeyCleanupInterval,
    int KeyCleanupBatch = 1000,
    TimeSpan KeyCleanupPause = default)
{
    public string SqlitePath => Path.GetFullPath(Path.Combine(DataDir, SqliteFile));
}

/// <summary>The snapshot cache in front of the database (<c>actor-service.cache</c>).</summary>
public sealed record CacheSettings(string Backend, int Capacity, TimeSpan Ttl, TimeSpan ReadTimeout);

/// <summary>The Redis server shared by the Redis cache and the Redis Streams sink (<c>actor-service.redis</c>).</summary>
public sealed record RedisSettings(string Configuration, string KeyPrefix, TimeSpan ConnectTimeout, TimeSpan OperationTimeout);

/// <summary>
/// The ledger event publisher (<c>actor-service.events</c>). <paramref name="Owner"/> names this node when it claims
/// outbox rows: its remoting address, so a node restarted on the same address takes its unfinished claims back at once.
/// </summary>
public sealed record EventsSettings(
    string Sink,
    string FilePath,
    string Stream,
    int BatchSize,
    TimeSpan PollInterval,
    TimeSpan ClaimLease,
    TimeSpan MaxRetryDelay,
    string Owner);

/// <summary>
/// The actor library's slice of <c>actor-service { }</c>. Read once from the same HOCON the ActorSystem uses, so
/// hocon.conf stays the one place where these numbers live.
/// </summary>
public sealed record LedgerSettings(AccountSettings Accounts, DbSettings Db, CacheSettings Cache, RedisSettings Redis, EventsSettings Events)
{
    public static LedgerSettings From(Config root)
    {
        var a = root.GetConfig("actor-service.accounts");
        var d = root.GetConfig("actor-service.db");
        var c = root.GetConfig("actor-service.cache");
        var e = root.GetConfig("actor-service.events");
        var r = root.GetConfig("actor-service.redis");
        var dataDir = d.GetString("data-dir");
        return new LedgerSettings(
            new AccountSettings(
                ShardCount: a.GetInt("shard-count"),
                PassivateAfter: a.GetTimeSpan("passivate-after"),
                RecentKeys: a.GetInt("recent-keys"),
                CommitTimeout: a.GetTimeSpan("commit-timeout"))
            {
                ShardMovesAtOnce = a.GetInt("shard-moves-at-once", 5),
            },
            new DbSettings(
                Backend: d.GetString("backend"),
                DataDir: dataDir,
                SqliteFile: d.GetString("sqlite.file"),
                SqliteSynchronous: d.GetString("sqlite.synchronous"),
                SqliteBusyTimeout: d.GetTimeSpan("sqlite.busy-timeout"),
                PostgresConnectionString: d.GetString("postgres.connection-string", ""),
                MaxBatch: d.GetInt("group-commit.max-batch"),
                Linger: d.GetTimeSpan("group-commit.linger"),
                RetryAttempts: d.GetInt("retry.attempts"),
                RetryBaseDelay: d.GetTimeSpan("retry.base-delay"),
                RetryMaxDelay: d.GetTimeSpan("retry.max-delay"),
                IdempotencyRetention: d.GetTimeSpan("idempotency-retention"),
                KeyCleanupInterval: d.GetTimeSpan("key-cleanup-interval"),
                KeyCleanupBatch: d.GetInt("key-cleanup-batch"),
                KeyCleanupPause: d.GetTimeSpan("key-cleanup-pause")),
            new CacheSettings(
                Backend: c.GetString("backend"),
                Capacity: c.GetInt("capacity"),
                Ttl: c.GetTimeSpan("ttl"),
                ReadTimeout: c.GetTimeSpan("read-timeout")),
            new RedisSettings(
                Configuration: r.GetString("configuration", ""),
                KeyPrefix: r.GetString("key-prefix"),
                ConnectTimeout: r.GetTimeSpan("connect-timeout"),
                OperationTimeout: r.GetTimeSpan("operation-timeout")),
            new EventsSettings(
                Sink: e.GetString("sink"),
                FilePath: Path.GetFullPath(Path.Combine(dataDir, e.GetString("file"))),
                Stream: e.GetString("stream"),
                BatchSize: e.GetInt("batch-size"),
                PollInterval: e.GetTimeSpan("poll-interval"),
                ClaimLease: e.GetTimeSpan("claim-lease"),
                MaxRetryDelay: e.GetTimeSpan("max-retry-delay"),
                Owner: $"{root.GetString("akka.remote.dot-netty.tcp.hostname")}:{root.GetInt("akka.remote.dot-netty.tcp.port")}"));
    }
}
