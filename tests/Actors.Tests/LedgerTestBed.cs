using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.TestSupport;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Actors.Tests;

/// <summary>Settings and a fresh SQLite ledger for one spec.</summary>
internal static class LedgerTestBed
{
    public static AccountSettings Accounts(TimeSpan? passivateAfter = null) =>
        new(ShardCount: 10, PassivateAfter: passivateAfter ?? TimeSpan.FromMinutes(5), RecentKeys: 16, CommitTimeout: TimeSpan.FromSeconds(10));

    public static DbSettings Db(string dir, int maxBatch = 256) => new(
        Backend: "sqlite", DataDir: dir, SqliteFile: "ledger.db", SqliteSynchronous: "normal", SqliteBusyTimeout: TimeSpan.FromSeconds(5),
        PostgresConnectionString: "", MaxBatch: maxBatch, Linger: TimeSpan.Zero, RetryAttempts: 3,
        RetryBaseDelay: TimeSpan.FromMilliseconds(10), RetryMaxDelay: TimeSpan.FromMilliseconds(100),
        IdempotencyRetention: TimeSpan.FromHours(48), KeyCleanupInterval: TimeSpan.FromHours(1));

    public static async Task<SqliteLedgerStore> OpenStore(DbSettings db)
    {
        var store = new SqliteLedgerStore(db.SqlitePath, db.SqliteSynchronous, db.SqliteBusyTimeout);
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A one-node cluster for sharding specs: loopback, any port, shard state in ddata, no remembered entities.</summary>
    public const string SingleNodeClusterHocon = """
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.sharding.state-store-mode = ddata
        akka.cluster.sharding.remember-entities = off
        """;

    /// <summary>Joins the system to itself and waits until it is Up, so its shard region can allocate shards.</summary>
    public static async Task JoinSelfAsync(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public static string NewDir(string name) => Repo.NewWorkDir("actors-" + name);

    public static Task<T> Eventually<T>(Func<Task<T?>> probe, string what) where T : class =>
        TestSupport.Eventually.Get(probe, TimeSpan.FromSeconds(20), what);
}
