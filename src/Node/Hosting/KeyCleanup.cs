using ActorService.Actors;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Node.Diagnostics;
using Akka.Actor;
using Akka.Hosting;

namespace ActorService.Node.Hosting;

/// <summary>
/// Deletes idempotency keys older than <c>db.idempotency-retention</c> (and outbox rows shipped before then), every
/// <c>db.key-cleanup-interval</c>, through the ledger db actor. It runs as tracked background work: when the drain
/// reaches service-stop, the loop sees <see cref="IBackgroundWork.Stopping"/> and returns after the batch in hand.
/// The loop itself is <see cref="KeyCleanupLoop"/>; its successes and failures go to <see cref="KeyCleanupMetrics"/>.
/// </summary>
internal sealed class KeyCleanup : IHostedService
{
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromMinutes(1);
    private readonly IBackgroundWork _background;
    private readonly KeyCleanupLoop _loop;

    public KeyCleanup(IBackgroundWork background, IRequiredActor<LedgerDb> db, LedgerSettings settings, KeyCleanupMetrics metrics, ILogger<KeyCleanup> logger)
    {
        _background = background;
        _loop = new KeyCleanupLoop(
            async (cutoff, limit, ct) => await db.ActorRef.Ask<object>(new LedgerDbCommands.DeleteKeysOlderThan(cutoff, limit), BatchTimeout, ct) switch
            {
                LedgerDbReplies.KeysDeleted deleted => deleted.Rows,
                LedgerDbReplies.Unavailable refused => throw new InvalidOperationException(refused.Reason),
                var other => throw new InvalidOperationException($"unexpected reply {other.GetType().Name}"),
            },
            settings.Db, logger, metrics.Succeeded, metrics.Failed);
    }

    public Task StartAsync(CancellationToken ct)
    {
        _background.TryStart("idempotency-key-cleanup", abort => _loop.RunAsync(_background.Stopping, abort));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>
/// The cleanup loop, supervised by itself: a failed run (timeout, database error) is logged and counted, and the next
/// run comes after a back-off (1 s, doubling, never later than the interval) instead of ending the loop for good.
/// A run deletes in batches of <c>db.key-cleanup-batch</c> rows with <c>db.key-cleanup-pause</c> between them, so it
/// never holds the database's write lock for long.
/// </summary>
internal sealed class KeyCleanupLoop(
    Func<DateTimeOffset, int, CancellationToken, Task<DeletedRows>> deleteBatch, DbSettings settings, ILogger logger,
    Action<DateTimeOffset>? succeeded = null, Action? failed = null)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private long _failures, _batches, _runs;

    /// <summary>Runs that failed since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Delete statements (batches) sent since start.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Runs that finished without an error since start.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <param name="stopping">ends the loop between batches (the drain's service-stop).</param>
    /// <param name="abort">cancels a batch in flight (the drain's deadline).</param>
    public async Task RunAsync(CancellationToken stopping, CancellationToken abort)
    {
        var failuresInARow = 0;
        var wait = settings.KeyCleanupInterval;
        while (!stopping.IsCancellationRequested)
        {
            try { await Task.Delay(wait, stopping); }
            catch (OperationCanceledException) { return; }
            try
            {
                await RunOnceAsync(stopping, abort);
                Interlocked.Increment(ref _runs);
                succeeded?.Invoke(DateTimeOffset.UtcNow);
                failuresInARow = 0;
                wait = settings.KeyCleanupInterval;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failures);
                failed?.Invoke();
                failuresInARow++;
                wait = Backoff(failuresInARow);
                logger.LogWarning(e, "Idempotency-key cleanup failed ({Count} in a row): {Error}; next try in {Wait}",
                    failuresInARow, e.GetBaseException().Message, wait);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task RunOnceAsync(CancellationToken stopping, CancellationToken abort)
    {
        var cutoff = DateTimeOffset.UtcNow - settings.IdempotencyRetention;
        int keys = 0, outbox = 0;
        while (true)
        {
            var deleted = await deleteBatch(cutoff, settings.KeyCleanupBatch, abort);
            Interlocked.Increment(ref _batches);
            keys += deleted.Keys;
            outbox += deleted.OutboxRows;
            if (!deleted.Reached(settings.KeyCleanupBatch) || stopping.IsCancellationRequested) break;
            await Task.Delay(settings.KeyCleanupPause, stopping); // writers waiting for the lock go first
        }
        if (keys + outbox > 0)
            logger.LogInformation("Deleted {Keys} idempotency keys and {Outbox} shipped outbox rows older than {Cutoff:u}", keys, outbox, cutoff);
    }

    private TimeSpan Backoff(int failuresInARow)
    {
        var backoff = FirstRetry * Math.Pow(2, Math.Min(failuresInARow - 1, 16));
        return backoff < settings.KeyCleanupInterval ? backoff : settings.KeyCleanupInterval;
    }
}
