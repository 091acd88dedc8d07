using ActorService.Actors.Accounts;

namespace ActorService.Actors.Resources.Events;

/// <summary>
/// One ledger event: an applied write, as the outbox table recorded it in the transaction that applied it.
/// <paramref name="Id"/> is the outbox row id: unique, increasing, and the key consumers de-duplicate on (the
/// publisher ships at least once).
/// </summary>
public sealed record OutboxEvent(
    long Id,
    string AccountId,
    LedgerOperation Operation,
    long Amount,
    long BalanceAfter,
    long Version,
    string IdempotencyKey,
    DateTimeOffset At);

/// <summary>
/// The outbox side of a ledger database. Unlike <see cref="Db.ILedgerStore.CommitAsync"/>, these calls run on their
/// own pooled connections and may overlap commits. Shipping is safe with several nodes on one database: a node
/// <em>claims</em> rows for a lease before shipping them, so two publishers never ship the same row at the same time,
/// and rows claimed by a node that died are taken over when its lease ends (or at once by the same node restarted
/// with the same owner name).
/// </summary>
public interface IOutboxStore
{
    /// <summary>Claims up to <paramref name="max"/> unshipped rows not claimed by another live owner, oldest first.</summary>
    Task<IReadOnlyList<OutboxEvent>> ClaimUnshippedAsync(string owner, int max, TimeSpan lease, CancellationToken ct);

    /// <summary>Marks rows shipped; call only after the sink confirmed them.</summary>
    Task MarkShippedAsync(IReadOnlyList<long> ids, CancellationToken ct);

    /// <summary>Rows not shipped yet (the backlog gauge).</summary>
    Task<long> CountUnshippedAsync(CancellationToken ct);
}
