using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Node.Health;

namespace ActorService.Node.Hosting;

/// <summary>
/// Opens the database (schema created or migrated) and the cache before the ActorSystem starts, so a node that
/// cannot reach its database fails at once with a clear error and a non-zero exit instead of serving 503s forever.
/// Registered before Akka.Hosting, so it starts first.
/// </summary>
internal sealed class LedgerResources(LedgerSettings settings, ReadinessState readiness, ILogger<LedgerResources> logger) : IHostedService
{
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);

    public ILedgerStore Store { get; } = settings.Db.Backend switch
    {
        "sqlite" => new SqliteLedgerStore(settings.Db.SqlitePath, settings.Db.SqliteSynchronous, settings.Db.SqliteBusyTimeout),
        var other => throw new Config.ConfigurationException($"actor-service.db.backend '{other}' is not supported by this build"),
    };

    public ISnapshotCache Cache { get; } = settings.Cache.Backend switch
    {
        "in-process" => new InProcessSnapshotCache(settings.Cache.Capacity),
        var other => throw new Config.ConfigurationException($"actor-service.cache.backend '{other}' is not supported by this build"),
    };

    public async Task StartAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(OpenTimeout);
        try
        {
            await Store.InitializeAsync(timeout.Token);
        }
        catch (Exception e)
        {
            throw new ResourceStartException($"cannot open the {Store.Backend} ledger database: {e.GetBaseException().Message}", e);
        }
        readiness.MarkResourcesOpen();
        logger.LogInformation("Ledger database open: {Backend} {Where}; cache: {Cache}", Store.Backend,
            Store is SqliteLedgerStore sqlite ? sqlite.Path : "", Cache.Backend);
    }

    // Resources are closed by the shutdown plan (before-actor-system-terminate), in the declared order, by their actors.
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>A resource could not be opened at start; the node exits with <see cref="Shutdown.ExitCodes.StartupFailed"/>.</summary>
internal sealed class ResourceStartException(string message, Exception inner) : Exception(message, inner);
