using ActorService.Actors.Resources.Db;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Accounts;

/// <summary>An account as an entity knows it: its balance and version (0: never written).</summary>
public readonly record struct AccountState(long Balance, long Version)
{
    /// <summary>The account as the database reported it; a missing row is an account never written.</summary>
    public static AccountState From(AccountSnapshot? snapshot) => snapshot is null ? default : new(snapshot.Balance, snapshot.Version);

    /// <summary>The account as a snapshot, or null when it was never written.</summary>
    public AccountSnapshot? ToSnapshot(string accountId) => Version == 0 ? null : new AccountSnapshot(accountId, Balance, Version);
}

/// <summary>What an entity does with a write, as <see cref="AccountRules.Decide"/> decided it.</summary>
public abstract record WriteDecision
{
    /// <summary>Answer at once, nothing to commit: a repeat of a key the entity remembers, or a key reused for another write.</summary>
    public sealed record Answer(IAccountReply Reply) : WriteDecision;

    /// <summary>
    /// Commit this: a balance change, or a refusal to record with its key. Either way the database checks that the
    /// account still stands where the entity decided; the answer comes from <see cref="AccountRules.Resolve"/>.
    /// </summary>
    public sealed record Commit(PendingWrite Write) : WriteDecision;
}

/// <summary>
/// What a commit's outcome means. <paramref name="State"/> is the database's word on the account now.
/// <paramref name="BasisConfirmed"/>: the database recorded the decision on exactly the entity's basis, so that basis
/// (even a cached one) was the truth. <paramref name="Reply"/> is null when the entity must decide again on
/// <paramref name="State"/> (another writer got there first). <paramref name="Remember"/> is the key's stored outcome.
/// </summary>
public sealed record Resolution(AccountState State, bool BasisConfirmed, IAccountReply? Reply, StoredWrite? Remember);

/// <summary>
/// The account's rules, with no messaging, timers or database: state + command → outcome. The entity
/// (<see cref="AccountActor"/>) feeds it what it knows and carries out what it decides.
/// <list type="bullet">
/// <item>An amount is 1..<see cref="MaxAmount"/> and a write has a key; a command that breaks this is a bug upstream (it throws).</item>
/// <item>A withdrawal larger than the balance is refused (insufficient funds), a deposit past <see cref="long.MaxValue"/>
/// is refused (overflow); both are committed as refusals, so the key keeps that outcome.</item>
/// <item>A key already used on the account answers with its stored outcome when operation and amount match, and
/// "key reused" when they do not; <c>applied</c> is true only for the request that applied it.</item>
/// <item>A decision the database finds stale (another writer moved the account) is taken again on the database's state,
/// at most <see cref="MaxConflictRetries"/> times.</item>
/// </list>
/// </summary>
public static class AccountRules
{
    /// <summary>The largest single amount the API accepts; the entity re-checks it because it trusts no caller.</summary>
    public const long MaxAmount = 1_000_000_000;

    /// <summary>How many times one write is decided before the entity gives up on an account that keeps changing under it.</summary>
    public const int MaxConflictRetries = 3;

    /// <summary>
    /// Decides a write on <paramref name="state"/>. <paramref name="known"/> is the key's stored outcome if the entity
    /// remembers one; otherwise the database finds it at commit time.
    /// </summary>
    public static WriteDecision Decide(AccountState state, ApplyWrite cmd, StoredWrite? known)
    {
        // The HTTP layer validated these; a command that breaks them is a bug upstream, i.e. a poison message.
        if (cmd.Amount is < 1 or > MaxAmount) throw new ArgumentOutOfRangeException(nameof(cmd), cmd.Amount, "amount outside 1..1,000,000,000");
        if (string.IsNullOrEmpty(cmd.IdempotencyKey)) throw new ArgumentException("a write needs an idempotency key", nameof(cmd));

        if (known is not null) return new WriteDecision.Answer(Repeat(cmd, known));
        if (cmd.Operation == LedgerOperation.Withdraw && state.Balance < cmd.Amount)
            return Refuse(state, cmd, WriteResult.InsufficientFunds);
        if (cmd.Operation == LedgerOperation.Deposit && state.Balance > long.MaxValue - cmd.Amount)
            return Refuse(state, cmd, WriteResult.BalanceOverflow);

        var newBalance = cmd.Operation == LedgerOperation.Deposit ? state.Balance + cmd.Amount : state.Balance - cmd.Amount;
        return new WriteDecision.Commit(new PendingWrite(cmd.AccountId, cmd.Operation, cmd.Amount, cmd.IdempotencyKey, state.Version, newBalance,
            cmd.RequestId));
    }

    private static WriteDecision Refuse(AccountState state, ApplyWrite cmd, WriteResult result) =>
        new WriteDecision.Commit(new PendingWrite(cmd.AccountId, cmd.Operation, cmd.Amount, cmd.IdempotencyKey, state.Version, state.Balance,
            cmd.RequestId, result));

    /// <summary>What the database's <paramref name="outcome"/> of <paramref name="write"/> (decided for <paramref name="cmd"/>, the <paramref name="attempt"/>-th time) means.</summary>
    public static Resolution Resolve(ApplyWrite cmd, PendingWrite write, WriteOutcome outcome, int attempt)
    {
        switch (outcome)
        {
            case WriteOutcome.Committed c:
                var stored = new StoredWrite(cmd.Operation, cmd.Amount, write.Result, write.NewBalance, c.NewVersion, cmd.RequestId);
                return new Resolution(new AccountState(write.NewBalance, c.NewVersion), BasisConfirmed: true, Outcome(cmd.AccountId, stored, applied: true), stored);
            case WriteOutcome.Duplicate d:
                return new Resolution(AccountState.From(d.Current), BasisConfirmed: false, Repeat(cmd, d.Original), d.Original);
            case WriteOutcome.VersionConflict v:
                var giveUp = attempt >= MaxConflictRetries
                    ? new Unavailable(cmd.AccountId, "the account kept changing under concurrent writers")
                    : null;
                return new Resolution(AccountState.From(v.Current), BasisConfirmed: false, giveUp, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown write outcome");
        }
    }

    /// <summary>
    /// The answer to a key used before: the original outcome when operation and amount match, "key reused" otherwise.
    /// An applied write is <c>applied: true</c> only when the stored request id is this command's, i.e. an earlier send
    /// of the same HTTP request applied it; a separate request repeating the key is told <c>applied: false</c>.
    /// </summary>
    public static IAccountReply Repeat(ApplyWrite cmd, StoredWrite original)
    {
        if (original.Operation != cmd.Operation || original.Amount != cmd.Amount)
            return new KeyReused(cmd.AccountId, cmd.IdempotencyKey, original.Operation, original.Amount);
        var sameRequest = cmd.RequestId.Length > 0 && original.RequestId == cmd.RequestId;
        return Outcome(cmd.AccountId, original, applied: sameRequest);
    }

    /// <summary>The reply a stored outcome stands for.</summary>
    private static IAccountReply Outcome(string accountId, StoredWrite w, bool applied) => w.Result switch
    {
        WriteResult.Applied => new WriteAccepted(accountId, w.BalanceAfter, w.Version, applied),
        WriteResult.InsufficientFunds => new InsufficientFunds(accountId, w.BalanceAfter, w.Amount, w.Version),
        WriteResult.BalanceOverflow => new BalanceOverflow(accountId, w.BalanceAfter, w.Amount, w.Version),
        _ => throw new ArgumentOutOfRangeException(nameof(w), w.Result, "unknown write result"),
    };

    /// <summary>A read of <paramref name="state"/>: the balance and version, or "not found" for an account never written.</summary>
    public static IAccountReply Read(string accountId, AccountState state) =>
        state.Version == 0 ? new NotFound(accountId) : new Balance(accountId, state.Balance, state.Version);
}
