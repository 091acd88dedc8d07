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
    /// minted (<paramref name="KeyMinted"/>), so a retried Ask can never apply the write twice.
    /// <paramref name="TraceParent"/> is the W3C traceparent of the HTTP request, so the entity's log lines carry its trace id.
    /// <paramref name="ProcessingDelay"/> holds the write in the entity before it commits; only test runs set it (the node
    /// accepts it from a request header when <c>actor-service.testing.allow-test-hooks</c> is on) to make drains observable.
    /// </summary>
    public sealed record ApplyWrite(
        string AccountId,
        LedgerOperation Operation,
        long Amount,
        string IdempotencyKey,
        bool KeyMinted,
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

/// <summary>Replies of an account entity. Every command gets exactly one.</summary>
public static class AccountReplies
{
    public interface IAccountReply { string AccountId { get; } }

    /// <summary>A write's outcome. <paramref name="Applied"/> is false when the key had already been used for the same write.</summary>
    public sealed record WriteAccepted(string AccountId, long Balance, bool Applied) : IAccountReply;

    public sealed record Balance(string AccountId, long Value) : IAccountReply;

    /// <summary>The account was never written.</summary>
    public sealed record NotFound(string AccountId) : IAccountReply;

    public sealed record InsufficientFunds(string AccountId, long Balance, long Requested) : IAccountReply;

    /// <summary>The write would take the balance past <see cref="long.MaxValue"/>; nothing was applied.</summary>
    public sealed record BalanceOverflow(string AccountId, long Balance, long Requested) : IAccountReply;

    /// <summary>The idempotency key was already used on this account for a different operation or amount.</summary>
    public sealed record KeyReused(string AccountId, string IdempotencyKey, LedgerOperation OriginalOperation, long OriginalAmount) : IAccountReply;

    /// <summary>
    /// The entity could not reach its database (closed, or transient errors outlasted the retries).
    /// The write may or may not have been applied; repeating it with the same idempotency key is safe.
    /// </summary>
    public sealed record Unavailable(string AccountId, string Reason) : IAccountReply;

    /// <summary>The entity failed while handling the command and is being restarted; state is reloaded from the database.</summary>
    public sealed record Failed(string AccountId, string Reason) : IAccountReply;
}
