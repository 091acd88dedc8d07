using System.Diagnostics.Metrics;
using Akka.Actor;

namespace ActorService.Actors;

/// <summary>
/// The actor library's instruments for one node, on the standard <see cref="Meter"/> API so any exporter (the node uses
/// Prometheus) can publish them without the library knowing which. One instance per node, made from the host's
/// <see cref="IMeterFactory"/> and injected (the node's DI container; actors get it through their props or the
/// entities' <see cref="Accounts.AccountEnvironment"/>; what Akka builds from configuration through <see cref="For"/>),
/// so nodes in one process (in-process specs) count their own entities, writes and queues.
/// <para>
/// Every method is a plain call on a sealed class with interlocked additions or a tagged instrument add: the entity hot
/// path (activation, reads, writes, each mailbox message) pays what it paid for the process-wide counters before.
/// </para>
/// </summary>
public sealed class LedgerMetrics
{
    public const string MeterName = "ActorService.Ledger";

    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitSeconds;
    private readonly Counter<long> _writesFinished;
    private readonly Counter<long> _eventsShipped;
    private readonly Counter<long> _cacheLookups;

    // Read by the observable instruments when scraped, and by the drain, the timeline and /admin/status directly.
    private long _activeEntities, _abandonedCommands, _mailboxed, _stashed, _outboxBacklog;

    public LedgerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _batchSize = meter.CreateHistogram<int>(
            "actorservice_db_batch_size", "{writes}", "Writes committed together in one group commit");
        _commitSeconds = meter.CreateHistogram<double>(
            "actorservice_db_commit_duration", "s", "Duration of one group commit transaction, retries included");
        // Observed, not added to: the count is kept here anyway (the drain reads it), so an activation pays one
        // interlocked increment rather than that plus an instrument update.
        meter.CreateObservableUpDownCounter("actorservice_entities_active", () => ActiveEntityCount, "{entities}",
            "Account entities currently activated on this node");
        _writesFinished = meter.CreateCounter<long>(
            "actorservice_ledger_writes", "{writes}", "Ledger writes by outcome");
        meter.CreateObservableCounter("actorservice_entity_commands_abandoned", () => AbandonedEntityCommands, "{commands}",
            "Commands an entity still held when sharding stopped it (answered 'unavailable' and retried by the caller)");
        _eventsShipped = meter.CreateCounter<long>(
            "actorservice_events_shipped", "{events}", "Ledger events the sink confirmed (at least once: a re-shipped event counts again)");
        _cacheLookups = meter.CreateCounter<long>(
            "actorservice_cache_lookups", "{lookups}", "Snapshot cache lookups at entity activation, by result (hit, miss, stale)");
        meter.CreateObservableGauge("actorservice_entity_mailbox_depth", ObserveEntityQueues, "{messages}",
            "Messages waiting in account entities on this node: queue=mailbox (not yet received) or queue=stash (held behind a commit or a load)");
        meter.CreateObservableGauge("actorservice_outbox_backlog", () => OutboxBacklog, "{events}",
            "Outbox rows not shipped yet, as last counted by this node's publisher");
    }

    /// <summary>
    /// The node's instance, for code Akka creates from configuration (the entity mailbox) and for the Akka.Hosting
    /// setups: the <see cref="LedgerMetrics"/> service of the host's container, which Akka.Hosting hands to the
    /// ActorSystem (<see cref="LedgerMetricsExtension"/>).
    /// </summary>
    public static LedgerMetrics For(ActorSystem system) => system.WithExtension<LedgerMetricsExtension, LedgerMetricsExtensionProvider>().Metrics;

    /// <summary>Entities active on this node right now.</summary>
    public long ActiveEntityCount => Interlocked.Read(ref _activeEntities);

    /// <summary>Commands answered 'unavailable' because their entity was stopped with them pending, since start.</summary>
    public long AbandonedEntityCommands => Interlocked.Read(ref _abandonedCommands);

    /// <summary>Messages in account entity mailboxes plus commands in their stashes: the work an entity hand-off waits for.</summary>
    public long EntityMailboxDepth => Math.Max(0, Interlocked.Read(ref _mailboxed)) + Math.Max(0, Interlocked.Read(ref _stashed));

    /// <summary>Outbox rows not shipped yet, as last counted by this node's publisher (0 until its first count).</summary>
    public long OutboxBacklog => Interlocked.Read(ref _outboxBacklog);

    public void EntityActivated() => Interlocked.Increment(ref _activeEntities);

    public void EntityStopped() => Interlocked.Decrement(ref _activeEntities);

    public void EntityCommandsAbandoned(int count) => Interlocked.Add(ref _abandonedCommands, count);

    /// <summary>Called by <see cref="Diagnostics.EntityMailbox"/> for every message entering (+) or leaving (-) an entity mailbox.</summary>
    public void EntityMailboxChanged(long delta) => Interlocked.Add(ref _mailboxed, delta);

    /// <summary>Called by an entity when it stashes commands (+) or puts them back in its mailbox or drops them on stop (-).</summary>
    public void EntityStashChanged(long delta) => Interlocked.Add(ref _stashed, delta);

    public void SetOutboxBacklog(long rows) => Interlocked.Exchange(ref _outboxBacklog, rows);

    public void EventsShipped(int count) => _eventsShipped.Add(count);

    /// <summary>hit: the entity started from the cached snapshot; miss: none cached; stale: the database later proved it old.</summary>
    public void CacheLookup(string result) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void WriteFinished(string outcome) => _writesFinished.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordCommit(int batchSize, TimeSpan took)
    {
        _batchSize.Record(batchSize);
        _commitSeconds.Record(took.TotalSeconds);
    }

    private IEnumerable<Measurement<long>> ObserveEntityQueues() =>
    [
        new(Math.Max(0, Interlocked.Read(ref _mailboxed)), new KeyValuePair<string, object?>("queue", "mailbox")),
        new(Math.Max(0, Interlocked.Read(ref _stashed)), new KeyValuePair<string, object?>("queue", "stash")),
    ];
}
