namespace ActorService.Actors.Accounts;

/// <summary>The two kinds of ledger write. Stored with each idempotency key so a reused key can be compared.</summary>
public enum LedgerOperation
{
    Deposit = 1,
    Withdraw = 2,
}

/// <summary>Every message routed to an account entity names the account: the shard extractor relies on it.</summary>
public interface IAccountMessage
{
    string AccountId { get; }
}

/// <summary>Commands an account entity accepts. Public protocol: these cross node boundaries.</summary>
public static class AccountCommands
{
    /// <summary>
    /// Apply a deposit or withdrawal once. <paramref name="IdempotencyKey"/> is the client's key or one the node
    /// minted, so a retried Ask can never apply the write twice. <paramref name="RequestId"/> is one per HTTP request
    /// (the gateway's re-sends of that request carry the same one): stored with the key, it tells the send that applied
    /// a write (answered <c>applied: true</c>, whichever of its sends got there first) from a later, separate request
    /// with the same key (<c>applied: false</c>).
    /// <paramref name="TraceParent"/> is the W3C traceparent of the HTTP request, so the entity's log lines carry its trace id.
    /// <paramref name="ProcessingDelay"/> holds the write in the entity before it commits; only test runs set it (the node
    /// accepts it from a request header when <c>actor-service.testing.allow-test-hooks</c> is on) to make drains observable.
    /// </summary>
    public sealed record ApplyWrite(
        string AccountId,
        LedgerOperation Operation,
        long Amount,
        string IdempotencyKey,
        string RequestId,
        string? TraceParent,
        TimeSpan? ProcessingDelay = null) : IAccountMessage;

    /// <summary>Read the committed balance.</summary>
    public sealed record GetBalance(string AccountId, string? TraceParent) : IAccountMessage;

    /// <summary>
    /// The hand-off and passivation stop message. Unlike <c>PoisonPill</c> it is an ordinary message: it queues behind
    /// everything already in the mailbox (and behind what the entity stashed while a commit was in flight), so an
    /// entity that is handed off or passivated finishes its queued work first.
    /// </summary>
    public sealed class StopEntity
    {
        public static readonly StopEntity Instance = new();
        private StopEntity() { }
    }
}

/// <summary>
/// Replies of an account entity. Every command gets exactly one, and each says which of the three kinds of answer it is
/// (docs/api.md): <em>applied</em> (<see cref="WriteAccepted"/>), <em>not applied</em> (the refusals, and
/// <see cref="Unavailable"/> and <see cref="Failed"/>, which are certain nothing was or will be applied), or
/// <em>unknown</em> (<see cref="OutcomeUnknown"/>: a commit was sent and its outcome never came back).
/// Versions are the account's version after the write, or as read; 0 only for an account never written.
/// </summary>
public static class AccountReplies
{
    public interface IAccountReply { string AccountId { get; } }

    /// <summary>
    /// A write's outcome. <paramref name="Applied"/> is true for the request whose send applied it (also when a re-send
    /// of that request answered first), false for a later request that repeated its key; a repeat carries the original
    /// write's balance and version.
    /// </summary>
    public sealed record WriteAccepted(string AccountId, long Balance, long Version, bool Applied) : IAccountReply;

    public sealed record Balance(string AccountId, long Value, long Version) : IAccountReply;

    /// <summary>The account was never written.</summary>
    public sealed record NotFound(string AccountId) : IAccountReply;

    /// <summary>The withdrawal is larger than the balance (as of <paramref name="Version"/>); nothing was applied, and the key keeps this outcome.</summary>
    public sealed record InsufficientFunds(string AccountId, long Balance, long Requested, long Version) : IAccountReply;

    /// <summary>The deposit would take the balance past <see cref="long.MaxValue"/>; nothing was applied, and the key keeps this outcome.</summary>
    public sealed record BalanceOverflow(string AccountId, long Balance, long Requested, long Version) : IAccountReply;

    /// <summary>The idempotency key was already used on this account for a different operation or amount.</summary>
    public sealed record KeyReused(string AccountId, string IdempotencyKey, LedgerOperation OriginalOperation, long OriginalAmount) : IAccountReply;

    /// <summary>
    /// Certainly not applied, and nothing will be: the entity did not get as far as committing (its state could not be
    /// loaded, it was stopped with the command still queued, the database refused before starting the commit). The
    /// gateway asks again; repeating the command is safe.
    /// </summary>
    public sealed record Unavailable(string AccountId, string Reason) : IAccountReply;

    /// <summary>
    /// The write's commit was sent and no outcome came back (the database failed or timed out mid-commit, the entity
    /// failed or was stopped while it waited): it may or may not have been applied. Repeating it with the same
    /// idempotency key is safe and answers with its real outcome.
    /// </summary>
    public sealed record OutcomeUnknown(string AccountId, string Reason) : IAccountReply;

    /// <summary>
    /// The entity failed on this command before it sent any commit for it (a bug: the command broke an invariant), and
    /// was restarted; nothing was applied. A failure with a commit in flight is answered <see cref="OutcomeUnknown"/>.
    /// </summary>
    public sealed record Failed(string AccountId, string Reason) : IAccountReply;
}
