using ActorService.Actors.Accounts;

namespace ActorService.Actors.Resources.Db;

/// <summary>An account as committed: its balance and the version that optimistic concurrency checks.</summary>
public sealed record AccountSnapshot(string AccountId, long Balance, long Version);

/// <summary>
/// What a write under one idempotency key ended as. Refusals are stored with their key like applied writes, so a
/// repeat of a refused write is refused the same way even after the balance changed.
/// </summary>
public enum WriteResult : short
{
    /// <summary>The balance changed.</summary>
    Applied = 0,
    /// <summary>A withdrawal larger than the balance; nothing changed.</summary>
    InsufficientFunds = 1,
    /// <summary>A deposit that would take the balance past <see cref="long.MaxValue"/>; nothing changed.</summary>
    BalanceOverflow = 2,
}

/// <summary>
/// A write as the idempotency table remembers it: enough to answer a repeat with the original outcome.
/// <paramref name="BalanceAfter"/> and <paramref name="Version"/> are the account's after an applied write, or as it
/// stood when a refused one was refused. <paramref name="RequestId"/> names the HTTP request whose send decided it,
/// so a gateway's re-send of that same request is still told "applied" (see <see cref="AccountRules.Repeat"/>).
/// </summary>
public sealed record StoredWrite(
    LedgerOperation Operation,
    long Amount,
    WriteResult Result,
    long BalanceAfter,
    long Version,
    string RequestId);

/// <summary>
/// One entity's decision about a write, ready to commit. <paramref name="ExpectedVersion"/> is the version the entity
/// decided on (0 for an account never written): a second activation of the same account (a split brain, a late
/// hand-off) or a stale cached snapshot cannot overwrite a newer balance, nor refuse on an old one.
/// <paramref name="Result"/> is <see cref="WriteResult.Applied"/> for a balance change to <paramref name="NewBalance"/>;
/// a refusal leaves the balance as it is (<paramref name="NewBalance"/> is the balance it was refused on) and only
/// records the key with its outcome.
/// </summary>
public sealed record PendingWrite(
    string AccountId,
    LedgerOperation Operation,
    long Amount,
    string IdempotencyKey,
    long ExpectedVersion,
    long NewBalance,
    string RequestId = "",
    WriteResult Result = WriteResult.Applied)
{
    /// <summary>
    /// The balance the entity decided on. The store records the decision only if the account still has this balance
    /// at <see cref="ExpectedVersion"/>, so a decision taken on a cached snapshot is checked as a whole, not just its version.
    /// </summary>
    public long BasisBalance => Result != WriteResult.Applied ? NewBalance
        : Operation == LedgerOperation.Deposit ? NewBalance - Amount : NewBalance + Amount;

    /// <summary>The account's version once this decision is durable: one more for an applied write, unchanged for a refusal.</summary>
    public long VersionAfter => Result == WriteResult.Applied ? ExpectedVersion + 1 : ExpectedVersion;
}

/// <summary>What the database decided about one write of a batch.</summary>
public abstract record WriteOutcome
{
    /// <summary>
    /// The decision is durable: an applied write (the account is now at <paramref name="NewVersion"/>), or a refusal
    /// recorded with its key (the account is unchanged, at <paramref name="NewVersion"/>).
    /// </summary>
    public sealed record Committed(long NewVersion) : WriteOutcome;

    /// <summary>The key was used before on this account; nothing changed. <paramref name="Current"/> is the account now.</summary>
    public sealed record Duplicate(StoredWrite Original, AccountSnapshot? Current) : WriteOutcome;

    /// <summary>The account moved past <see cref="PendingWrite.ExpectedVersion"/> (or its balance differs); nothing changed.</summary>
    public sealed record VersionConflict(AccountSnapshot? Current) : WriteOutcome;
}
