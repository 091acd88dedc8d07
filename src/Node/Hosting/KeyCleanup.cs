using ActorService.Actors;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Node.Diagnostics;
using Akka.Actor;
using Akka.Hosting;

namespace ActorService.Node.Hosting;

/// <summary>
/// Deletes idempotency keys older than <c>db.idempotency-retention</c>, every <c>db.key-cleanup-interval</c>.
/// It runs as tracked background work: when the drain reaches service-stop, the loop sees <see cref="IBackgroundWork.Stopping"/>
/// and returns, and a delete in progress is awaited (or cancelled at the deadline).
/// </summary>
internal sealed class KeyCleanup(IBackgroundWork background, IRequiredActor<LedgerDb> db, LedgerSettings settings,
    KeyCleanupMetrics metrics, ILogger<KeyCleanup> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken ct)
    {
        background.TryStart("idempotency-key-cleanup", RunAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private async Task RunAsync(CancellationToken abort)
    {
        while (!background.Stopping.IsCancellationRequested)
        {
            try { await Task.Delay(settings.Db.KeyCleanupInterval, background.Stopping); }
            catch (OperationCanceledException) { return; }

            var cutoff = DateTimeOffset.UtcNow - settings.Db.IdempotencyRetention;
            var reply = await db.ActorRef.Ask<object>(new LedgerDbCommands.DeleteKeysOlderThan(cutoff), TimeSpan.FromMinutes(1), abort);
            if (reply is LedgerDbReplies.KeysDeleted) metrics.Succeeded(DateTimeOffset.UtcNow);
            if (reply is LedgerDbReplies.KeysDeleted { Count: > 0 } deleted)
                logger.LogInformation("Deleted {Count} idempotency keys older than {Cutoff:u}", deleted.Count, cutoff);
        }
    }
}
