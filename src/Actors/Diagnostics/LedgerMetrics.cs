using System.Diagnostics.Metrics;

namespace ActorService.Actors;

/// <summary>
/// The actor library's instruments, on the standard <see cref="Meter"/> API so any exporter (the node uses
/// Prometheus) can publish them without the library knowing which.
/// </summary>
public static class LedgerMetrics
{
    public const string MeterName = "ActorService.Ledger";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "actorservice_db_batch_size", "{writes}", "Writes committed together in one group commit");

    private static readonly Histogram<double> CommitSeconds = Meter.CreateHistogram<double>(
        "actorservice_db_commit_duration", "s", "Duration of one group commit transaction, retries included");

    private static readonly UpDownCounter<long> ActiveEntities = Meter.CreateUpDownCounter<long>(
        "actorservice_entities_active", "{entities}", "Account entities currently activated on this node");

    private static readonly Counter<long> WritesApplied = Meter.CreateCounter<long>(
        "actorservice_ledger_writes", "{writes}", "Ledger writes by outcome");

    private static readonly Counter<long> CommandsAbandoned = Meter.CreateCounter<long>(
        "actorservice_entity_commands_abandoned", "{commands}", "Commands an entity still held when sharding stopped it (answered 'unavailable' and retried by the caller)");

    private static readonly Counter<long> EventsShippedTotal = Meter.CreateCounter<long>(
        "actorservice_events_shipped", "{events}", "Ledger events the sink confirmed (at least once: a re-shipped event counts again)");

    private static readonly Counter<long> CacheLookups = Meter.CreateCounter<long>(
        "actorservice_cache_lookups", "{lookups}", "Snapshot cache lookups at entity activation, by result (hit, miss, stale)");

    private static long _activeEntities;
    private static long _abandonedCommands;

    /// <summary>Commands answered 'unavailable' because their entity was stopped with them pending, since start.</summary>
    public static long AbandonedEntityCommands => Interlocked.Read(ref _abandonedCommands);

    public static void EntityCommandsAbandoned(int count)
    {
        Interlocked.Add(ref _abandonedCommands, count);
        CommandsAbandoned.Add(count);
    }

    // Commands waiting in this node's account entities: in their mailboxes (counted by EntityMailbox) and in their
    // stashes (counted by the entity). Two process-wide counters, so reading the depth costs nothing per entity.
    private static readonly ObservableGauge<long> EntityQueueDepth = Meter.CreateObservableGauge(
        "actorservice_entity_mailbox_depth", ObserveEntityQueues, "{messages}",
        "Messages waiting in account entities on this node: queue=mailbox (not yet received) or queue=stash (held behind a commit or a load)");

    private static long _mailboxed, _stashed;

    private static long _outboxBacklog;

    static LedgerMetrics() =>
        Meter.CreateObservableGauge("actorservice_outbox_backlog", () => Interlocked.Read(ref _outboxBacklog), "{events}",
            "Outbox rows not shipped yet, as last counted by this node's publisher");

    /// <summary>Outbox rows not shipped yet, as last counted (also readable without an exporter).</summary>
    public static long OutboxBacklog => Interlocked.Read(ref _outboxBacklog);

    public static void SetOutboxBacklog(long rows) => Interlocked.Exchange(ref _outboxBacklog, rows);

    public static void EventsShipped(int count) => EventsShippedTotal.Add(count);

    /// <summary>hit: the entity started from the cached snapshot; miss: none cached; stale: the database later proved it old.</summary>
    public static void CacheLookup(string result) => CacheLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Entities active on this node right now (also readable without an exporter, for /admin/status).</summary>
    public static long ActiveEntityCount => Interlocked.Read(ref _activeEntities);

    /// <summary>Messages in account entity mailboxes plus commands in their stashes: the work an entity hand-off waits for.</summary>
    public static long EntityMailboxDepth => Math.Max(0, Interlocked.Read(ref _mailboxed)) + Math.Max(0, Interlocked.Read(ref _stashed));

    /// <summary>Called by <see cref="Diagnostics.EntityMailbox"/> for every message entering (+) or leaving (-) an entity mailbox.</summary>
    public static void EntityMailboxChanged(long delta) => Interlocked.Add(ref _mailboxed, delta);

    /// <summary>Called by an entity when it stashes commands (+) or puts them back in its mailbox or drops them on stop (-).</summary>
    public static void EntityStashChanged(long delta) => Interlocked.Add(ref _stashed, delta);

    private static IEnumerable<Measurement<long>> ObserveEntityQueues() =>
    [
        new(Math.Max(0, Interlocked.Read(ref _mailboxed)), new KeyValuePair<string, object?>("queue", "mailbox")),
        new(Math.Max(0, Interlocked.Read(ref _stashed)), new KeyValuePair<string, object?>("queue", "stash")),
    ];

    public static void RecordCommit(int batchSize, TimeSpan took)
    {
        BatchSize.Record(batchSize);
        CommitSeconds.Record(took.TotalSeconds);
    }

    public static void EntityActivated()
    {
        Interlocked.Increment(ref _activeEntities);
        ActiveEntities.Add(1);
    }

    public static void EntityStopped()
    {
        Interlocked.Decrement(ref _activeEntities);
        ActiveEntities.Add(-1);
    }

    public static void WriteFinished(string outcome) =>
        WritesApplied.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
