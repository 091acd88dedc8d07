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

    private static long _activeEntities;
    private static long _abandonedCommands;

    /// <summary>Commands answered 'unavailable' because their entity was stopped with them pending, since start.</summary>
    public static long AbandonedEntityCommands => Interlocked.Read(ref _abandonedCommands);

    public static void EntityCommandsAbandoned(int count)
    {
        Interlocked.Add(ref _abandonedCommands, count);
        CommandsAbandoned.Add(count);
    }

    /// <summary>Entities active on this node right now (also readable without an exporter, for /admin/status).</summary>
    public static long ActiveEntityCount => Interlocked.Read(ref _activeEntities);

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
