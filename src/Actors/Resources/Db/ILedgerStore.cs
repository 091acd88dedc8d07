namespace ActorService.Actors.Resources.Db;

/// <summary>
/// A ledger database backend. Only <see cref="LedgerDbActor"/> calls it, one batch at a time, so implementations
/// may keep a single writer connection; reads may run concurrently with a commit.
/// </summary>
public interface ILedgerStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres"; shows up in logs and the shutdown report.</summary>
    string Backend { get; }

    /// <summary>Opens connections and creates or migrates the schema; idempotent and safe when several nodes start at once.</summary>
    Task InitializeAsync(CancellationToken ct);

    Task<AccountSnapshot?> LoadAccountAsync(string accountId, CancellationToken ct);

    Task<StoredWrite?> FindWriteAsync(string accountId, string idempotencyKey, CancellationToken ct);

    /// <summary>
    /// Commits every write of the batch in one transaction and returns one outcome per write, in order. A conflict
    /// or duplicate of one write never fails the others; an exception means nothing of the batch was committed.
    /// </summary>
    Task<IReadOnlyList<WriteOutcome>> CommitAsync(IReadOnlyList<PendingWrite> batch, CancellationToken ct);

    /// <summary>Removes idempotency keys older than the cut-off; returns how many.</summary>
    Task<int> DeleteKeysOlderThanAsync(DateTimeOffset cutoff, CancellationToken ct);

    /// <summary>True for errors worth retrying: busy/locked database, dropped connection, serialization failure.</summary>
    bool IsTransient(Exception error);
}
