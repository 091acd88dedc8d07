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

    /// <summary>
    /// A random id the database got when its schema was first created (known after <see cref="InitializeAsync"/>).
    /// Caches key their entries with it, so a cache that outlives its database never answers for a new one.
    /// </summary>
    string LedgerId { get; }

    Task<AccountSnapshot?> LoadAccountAsync(string accountId, CancellationToken ct);

    /// <summary>The stored outcome of a key on an account (applied or refused), or null when the key is unused there.</summary>
    Task<StoredWrite?> FindWriteAsync(string accountId, string idempotencyKey, CancellationToken ct);

    /// <summary>
    /// Commits every write of the batch in one transaction and returns one outcome per write, in order. A conflict
    /// or duplicate of one write never fails the others; an exception means nothing of the batch was committed.
    /// A write is an entity's decision: a balance change, or a refusal (<see cref="PendingWrite.Result"/>) that is
    /// recorded with its key only, so a repeat is refused the same way. Each is recorded only if the account still
    /// stands where the entity decided. Every applied write also inserts its ledger event into the outbox table, in
    /// the same transaction.
    /// </summary>
    Task<IReadOnlyList<WriteOutcome>> CommitAsync(IReadOnlyList<PendingWrite> batch, CancellationToken ct);

    /// <summary>
    /// Removes at most <paramref name="limit"/> idempotency keys created before the cut-off and at most
    /// <paramref name="limit"/> outbox rows shipped before it, each table in one short statement (its own
    /// transaction), so a large backlog never holds the write lock for long: the caller repeats until
    /// <see cref="DeletedRows.Reached"/> is false, pausing in between so writers get the lock.
    /// </summary>
    Task<DeletedRows> DeleteKeysOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct);

    /// <summary>True for errors worth retrying: busy/locked database, dropped connection, serialization failure.</summary>
    bool IsTransient(Exception error);
}

/// <summary>What one bounded delete of expired rows removed.</summary>
public sealed record DeletedRows(int Keys, int OutboxRows)
{
    /// <summary>True when either table gave the full <paramref name="limit"/>: more expired rows may be left.</summary>
    public bool Reached(int limit) => Keys >= limit || OutboxRows >= limit;
}
