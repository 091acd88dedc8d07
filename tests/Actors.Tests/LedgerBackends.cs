using ActorService.Actors.Resources.Db;
using ActorService.Actors.Resources.Events;
using ActorService.TestSupport;

namespace ActorService.Actors.Tests;

/// <summary>
/// One fresh ledger database of a given backend per spec: the same specs run on SQLite and on the private PostgreSQL
/// server (<see cref="TestServices"/>; they fail with instructions when it is not running).
/// </summary>
public abstract class LedgerBackend
{
    public abstract string Name { get; }

    /// <summary>Creates an empty database (once per instance) and opens a store on it; call again for another node's store on the same database.</summary>
    public abstract Task<ILedgerStore> OpenAsync();

    public override string ToString() => Name;
}

public sealed class SqliteBackend : LedgerBackend
{
    private readonly string _dir = LedgerTestBed.NewDir("sqlite");
    public override string Name => "sqlite";

    public override async Task<ILedgerStore> OpenAsync()
    {
        var store = new SqliteLedgerStore(Path.Combine(_dir, "ledger.db"), "normal", TimeSpan.FromSeconds(5));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }
}

public sealed class PostgresBackend : LedgerBackend
{
    private string? _connectionString;
    public override string Name => "postgres";

    public async Task<string> ConnectionStringAsync() => _connectionString ??= await TestServices.NewPostgresDatabase("actors");

    public override async Task<ILedgerStore> OpenAsync()
    {
        var store = new PostgresLedgerStore(await ConnectionStringAsync());
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }
}

internal static class StoreExtensions
{
    public static IOutboxStore Outbox(this ILedgerStore store) => (IOutboxStore)store;
}
