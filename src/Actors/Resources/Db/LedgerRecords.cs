using ActorService.Actors.Accounts;

namespace ActorService.Actors.Resources.Db;

/// <summary>An account as committed: its balance and the version that optimistic concurrency checks.</summary>
public sealed record AccountSnapshot(string AccountId, long Balance, long Version);

/// <summary>A write as the idempotency table remembers it: enough to answer a repeat with the original outcome.</summary>
public sealed record StoredWrite(LedgerOperation Operation, long Amount, long BalanceAfter);

/// <summary>
/// One entity's write, ready to commit. <paramref name="ExpectedVersion"/> is the version the entity based
/// <paramref name="NewBalance"/> on (0 for an account never written): a second activation of the same account
/// (a split brain, a late hand-off) or a stale cached snapshot cannot overwrite a newer balance.
/// </summary>
public sealed record PendingWrite(
    string AccountId,
    LedgerOperation Operation,
    long Amount,
    string IdempotencyKey,
    long ExpectedVersion,
    long NewBalance)
{
    /// <summary>
    /// The balance the entity decided on. The store applies the write only if the account still has this balance at
    /// <see cref="ExpectedVersion"/>, so a decision taken on a cached snapshot is checked as a whole, not just its version.
    /// </summary>
    public long BasisBalance => Operation == LedgerOperation.Deposit ? NewBalance - Amount : NewBalance + Amount;
}

/// <summary>What the database decided about one write of a batch.</summary>
public abstract record WriteOutcome
{
    /// <summary>Applied and durable.</summary>
    public sealed record Committed(long NewVersion) : WriteOutcome;

    /// <summary>The key was used before on this account; nothing applied. <paramref name="Current"/> is the account now.</summary>
    public sealed record Duplicate(StoredWrite Original, AccountSnapshot? Current) : WriteOutcome;

    /// <summary>The account moved past <see cref="PendingWrite.ExpectedVersion"/>; nothing applied.</summary>
    public sealed record VersionConflict(AccountSnapshot? Current) : WriteOutcome;
}
