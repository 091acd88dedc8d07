namespace ActorService.Actors.Resources.Db;

/// <summary>Requests to the ledger database actor. Each gets exactly one reply.</summary>
public static class LedgerDbCommands
{
    public sealed record LoadAccount(string AccountId);

    /// <summary>Queue a write for the next group commit. <paramref name="CommitId"/> comes back in the reply so an entity that restarted meanwhile can ignore it.</summary>
    public sealed record Commit(long CommitId, PendingWrite Write);

    public sealed record DeleteKeysOlderThan(DateTimeOffset Cutoff);
}

/// <summary>Replies of the ledger database actor.</summary>
public static class LedgerDbReplies
{
    public sealed record AccountLoaded(string AccountId, AccountSnapshot? Snapshot);

    public sealed record CommitDone(long CommitId, WriteOutcome Outcome);

    public sealed record KeysDeleted(int Count);

    /// <summary>
    /// The request was not carried out: the database is closed (the node is shutting down) or failed beyond the
    /// bounded retries. For a commit the outcome is unknown: the caller must reload before trusting its state.
    /// </summary>
    public sealed record Unavailable(long CommitId, string Reason);
}
