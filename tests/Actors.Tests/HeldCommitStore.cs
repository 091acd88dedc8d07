using ActorService.Actors.Resources.Db;

namespace ActorService.Actors.Tests;

/// <summary>
/// A ledger store whose commits wait at a gate the spec opens: what a database that is slow to commit looks like to the
/// db actor. Everything else goes straight to the real store.
/// </summary>
internal sealed class HeldCommitStore(ILedgerStore inner) : ILedgerStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _commitWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _loads;

    /// <summary>Completes when the first commit reached the gate.</summary>
    public Task CommitWaiting => _commitWaiting.Task;

    /// <summary>How many loads reached the database.</summary>
    public int Loads => Volatile.Read(ref _loads);

    public void Release() => _gate.TrySetResult();

    public string Backend => inner.Backend;
    public string LedgerId => inner.LedgerId;
    public Task InitializeAsync(CancellationToken ct) => inner.InitializeAsync(ct);

    public Task<AccountSnapshot?> LoadAccountAsync(string accountId, CancellationToken ct)
    {
        Interlocked.Increment(ref _loads);
        return inner.LoadAccountAsync(accountId, ct);
    }

    public Task<StoredWrite?> FindWriteAsync(string accountId, string idempotencyKey, CancellationToken ct) => inner.FindWriteAsync(accountId, idempotencyKey, ct);

    public async Task<IReadOnlyList<WriteOutcome>> CommitAsync(IReadOnlyList<PendingWrite> batch, CancellationToken ct)
    {
        _commitWaiting.TrySetResult();
        await _gate.Task;
        return await inner.CommitAsync(batch, ct);
    }

    public Task<DeletedRows> DeleteKeysOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct) => inner.DeleteKeysOlderThanAsync(cutoff, limit, ct);
    public bool IsTransient(Exception error) => inner.IsTransient(error);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
