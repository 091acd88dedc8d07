namespace ActorService.Actors.Resources.Db;

/// <summary>Requests to the ledger database actor. Each gets exactly one reply.</summary>
public static class LedgerDbCommands
{
    /// <summary>
    /// Load an account. Runs only when none of the account's commits is queued or in progress here, so the answer
    /// includes every commit this node sent for it before. <paramref name="RequestId"/> comes back in the reply.
    /// </summary>
    public sealed record LoadAccount(string AccountId, long RequestId = 0);

    /// <summary>
    /// Queue a write (or a refusal) for the next group commit. <paramref name="CommitId"/> comes back in the reply, so
    /// an entity can tell it from the replies to earlier commits; entities take it from <see cref="DbRequestIds"/>, unique
    /// in the process. A commit still queued at <paramref name="Deadline"/> (a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp; 0: none) is not started any more: it is answered <see cref="LedgerDbReplies.CommitDropped"/>.
    /// </summary>
    public sealed record Commit(long CommitId, PendingWrite Write, long Deadline = 0);

    /// <summary>One bounded batch of the idempotency-key cleanup (<see cref="ILedgerStore.DeleteKeysOlderThanAsync"/>).</summary>
    public sealed record DeleteKeysOlderThan(DateTimeOffset Cutoff, int Limit);
}

/// <summary>Replies of the ledger database actor.</summary>
public static class LedgerDbReplies
{
    public sealed record AccountLoaded(string AccountId, AccountSnapshot? Snapshot, long RequestId = 0);

    public sealed record CommitDone(long CommitId, WriteOutcome Outcome);

    /// <summary>
    /// The commit was never started — still queued at its deadline, or the database was closed or its actor stopped
    /// first — and was dropped: it was not applied and never will be.
    /// </summary>
    public sealed record CommitDropped(long CommitId, string Reason);

    public sealed record KeysDeleted(DeletedRows Rows);

    /// <summary>
    /// The request was not carried out: the database is closed (the node is shutting down) or failed beyond the
    /// bounded retries. <paramref name="RequestId"/> is the commit's or the load's id. For a commit the outcome is
    /// unknown (the transaction may have committed before its answer was lost): the caller must reload before
    /// trusting its state, and the reload waits for nothing more (this reply was the commit's last word).
    /// </summary>
    public sealed record Unavailable(long RequestId, string Reason);
}

/// <summary>
/// Ids for an entity's requests to the db actor: unique in the process, so a late reply to an earlier incarnation of
/// an entity (one that restarted with a commit in flight) can never be taken for the answer to a new request.
/// </summary>
public static class DbRequestIds
{
    private static long _last;

    public static long Next() => Interlocked.Increment(ref _last);
}
