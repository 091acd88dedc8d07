using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Node.Hosting;
using ActorService.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The idempotency-key cleanup loop (issue 14): a failed run is counted and tried again instead of ending the loop for
/// good, and a run deletes in bounded batches instead of one statement that holds SQLite's write lock throughout.
/// In-process with a stand-in for the ledger db actor: the store side of the batches is in LedgerStoreContractSpecs.
/// </summary>
public sealed class KeyCleanupSpecs
{
    private static DbSettings Settings(TimeSpan interval, int batch) => new(
        "sqlite", ".", "ledger.db", "normal", TimeSpan.FromSeconds(5), "", 256, TimeSpan.Zero, 4,
        TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), TimeSpan.FromHours(48), interval, batch, TimeSpan.FromMilliseconds(1));

    [Fact]
    public async Task Should_count_the_failure_and_run_again_when_a_batch_fails_once()
    {
        var calls = 0;
        var loop = new KeyCleanupLoop((_, _, _) => Interlocked.Increment(ref calls) == 1
                ? throw new TimeoutException("Ask timed out on [ledger-db] after 60000 ms")
                : Task.FromResult(new DeletedRows(0, 0)),
            Settings(TimeSpan.FromMilliseconds(100), 1000), NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token, CancellationToken.None);

        await Eventually.True(() => loop.Runs >= 2, TimeSpan.FromSeconds(20),
            $"two cleanup runs after one failure (failures {loop.Failures}, batches {loop.Batches}, loop ended: {running.IsCompleted})");
        Assert.Equal(1, loop.Failures);
        Assert.False(running.IsCompleted, "the loop keeps running until it is stopped");
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Should_delete_in_batches_of_the_configured_size_when_more_rows_expired()
    {
        var remainingKeys = 2_500;
        var calls = new List<(int Limit, long RunsBefore)>();
        KeyCleanupLoop? loop = null;
        loop = new KeyCleanupLoop((_, limit, _) =>
            {
                lock (calls) calls.Add((limit, loop!.Runs));
                var n = Math.Min(limit, remainingKeys);
                remainingKeys -= n;
                return Task.FromResult(new DeletedRows(n, 0));
            },
            Settings(TimeSpan.FromMilliseconds(50), 1000), NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = loop.RunAsync(stop.Token, CancellationToken.None);

        await Eventually.True(() => loop.Runs >= 1, TimeSpan.FromSeconds(20), "one cleanup run");
        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        lock (calls)
        {
            // One run: 1000 + 1000 + 500, the short third batch ending it; every statement bounded by the batch size.
            Assert.True(calls.Count >= 3 && calls.Take(3).All(c => c.RunsBefore == 0),
                $"the first run should send three batches: {string.Join(", ", calls)}");
            Assert.All(calls, c => Assert.Equal(1000, c.Limit));
        }
        Assert.Equal(0, remainingKeys);
    }
}
