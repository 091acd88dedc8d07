using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Resources.Events;
using ActorService.Actors.Settings;
using ActorService.Node.Health;
using StackExchange.Redis;

namespace ActorService.Node.Hosting;

/// <summary>
/// Picks and opens the node's storage before the ActorSystem starts, so a node that cannot reach its database or
/// Redis fails at once with a clear error and a non-zero exit instead of serving 503s forever. Registered before
/// Akka.Hosting, so it starts first (and stops last).
/// <list type="bullet">
/// <item>Database: PostgreSQL when <c>db.backend = postgres</c> (set by <c>--postgres</c>), else the SQLite file.</item>
/// <item>Cache: Redis when <c>cache.backend = redis</c> (set by <c>--redis</c>), else in-process.</item>
/// <item>Event sink: a Redis Stream when <c>events.sink = redis</c> (set by <c>--redis</c>), else a JSON-lines file.</item>
/// </list>
/// The Redis cache and sink share one multiplexer, closed here after the ActorSystem terminated (the resource actors
/// close the backends themselves, in <c>drain.close-order</c>).
/// </summary>
internal sealed class LedgerResources(LedgerSettings settings, ReadinessState readiness, ILogger<LedgerResources> logger) : IHostedService
{
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);
    private ConnectionMultiplexer? _redis;
    private ISnapshotCache? _cache;
    private IEventSink? _sink;

    public ILedgerStore Store { get; } = settings.Db.Backend switch
    {
        "sqlite" => new SqliteLedgerStore(settings.Db.SqlitePath, settings.Db.SqliteSynchronous, settings.Db.SqliteBusyTimeout),
        "postgres" => OpenPostgres(settings.Db.PostgresConnectionString),
        var other => throw new Config.ConfigurationException($"actor-service.db.backend '{other}' is not supported (sqlite or postgres)"),
    };

    /// <summary>Both stores keep their outbox in the ledger database, so the outbox commits with the write.</summary>
    public IOutboxStore Outbox => (IOutboxStore)Store;

    /// <summary>Where the ledger database is (file path, or host and database name), for log lines.</summary>
    public string Where => Describe(Store);

    public ISnapshotCache Cache => _cache ?? throw new InvalidOperationException("the cache is opened by StartAsync");

    public IEventSink Sink => _sink ?? throw new InvalidOperationException("the event sink is opened by StartAsync");

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
            throw new ResourceStartException($"cannot open the {Store.Backend} ledger database ({Describe(Store)}): {e.GetBaseException().Message}", e);
        }

        if (settings.Cache.Backend == "redis" || settings.Events.Sink == "redis") _redis = await ConnectRedis(timeout.Token);
        _cache = settings.Cache.Backend switch
        {
            "in-process" => new InProcessSnapshotCache(settings.Cache.Capacity),
            "redis" => new RedisSnapshotCache(_redis!, settings.Redis.KeyPrefix, Store.LedgerId, settings.Cache.Ttl),
            var other => throw new Config.ConfigurationException($"actor-service.cache.backend '{other}' is not supported (in-process or redis)"),
        };
        _sink = settings.Events.Sink switch
        {
            "file" => new JsonLinesEventSink(settings.Events.FilePath),
            "redis" => new RedisStreamEventSink(_redis!, settings.Events.Stream),
            var other => throw new Config.ConfigurationException($"actor-service.events.sink '{other}' is not supported (file or redis)"),
        };

        readiness.MarkResourcesOpen();
        logger.LogInformation("Storage open: database {Backend} {Where} (ledger {LedgerId}); cache {Cache}; events to {Sink} {SinkWhere}",
            Store.Backend, Describe(Store), Store.LedgerId, _cache.Backend, _sink.Backend, _sink.Where);
    }

    // Resources are closed by the shutdown plan (before-actor-system-terminate), in the declared order, by their actors.
    // Only the shared Redis connection is left; by now the ActorSystem has terminated.
    public async Task StopAsync(CancellationToken ct)
    {
        if (_redis is not null) await _redis.DisposeAsync();
    }

    private static PostgresLedgerStore OpenPostgres(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new Config.ConfigurationException("actor-service.db.backend is postgres but no connection string was given (--postgres or ACTORSERVICE_POSTGRES)");
        try { return new PostgresLedgerStore(connectionString); }
        catch (ArgumentException e) { throw new Config.ConfigurationException(e.Message); }
    }

    private async Task<ConnectionMultiplexer> ConnectRedis(CancellationToken ct)
    {
        var r = settings.Redis;
        if (string.IsNullOrWhiteSpace(r.Configuration))
            throw new Config.ConfigurationException("the Redis cache or event sink is selected but no Redis configuration was given (--redis or ACTORSERVICE_REDIS)");
        ConfigurationOptions options;
        try { options = ConfigurationOptions.Parse(r.Configuration); }
        catch (ArgumentException e) { throw new Config.ConfigurationException($"the Redis configuration is not valid: {e.Message}"); }
        // At start a Redis that does not answer is fatal; afterwards the multiplexer reconnects in the background.
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = (int)r.ConnectTimeout.TotalMilliseconds;
        options.SyncTimeout = options.AsyncTimeout = (int)r.OperationTimeout.TotalMilliseconds;
        // While disconnected, commands fail at once instead of queueing: the cache degrades to a miss at once, and
        // events simply wait in the outbox.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ClientName ??= "actorservice";
        var where = string.Join(",", options.EndPoints.Select(e => e.ToString()));
        try
        {
            var redis = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(r.ConnectTimeout + TimeSpan.FromSeconds(1), ct);
            if (!redis.IsConnected)
            {
                await redis.DisposeAsync();
                throw new TimeoutException($"no answer within {r.ConnectTimeout}");
            }
            await redis.GetDatabase().PingAsync();
            return redis;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            throw new ResourceStartException($"cannot connect to Redis at {where}: {e.GetBaseException().Message}", e);
        }
    }

    private static string Describe(ILedgerStore store) => store switch
    {
        SqliteLedgerStore sqlite => sqlite.Path,
        PostgresLedgerStore postgres => postgres.Where,
        _ => "",
    };
}

/// <summary>A resource could not be opened at start; the node exits with <see cref="Shutdown.ExitCodes.StartupFailed"/>.</summary>
internal sealed class ResourceStartException(string message, Exception inner) : Exception(message, inner);
