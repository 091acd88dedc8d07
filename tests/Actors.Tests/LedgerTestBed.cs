using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.TestSupport;

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

    public static string NewDir(string name) => Repo.NewWorkDir("actors-" + name);

    public static Task<T> Eventually<T>(Func<Task<T?>> probe, string what) where T : class =>
        TestSupport.Eventually.Get(probe, TimeSpan.FromSeconds(20), what);
}
