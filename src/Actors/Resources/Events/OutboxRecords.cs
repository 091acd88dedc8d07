using System.Data.Common;
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
    DateTimeOffset At)
{
    /// <summary>The columns <see cref="ReadAllAsync"/> expects, in this order (both stores return them from a claim).</summary>
    public const string Columns = "id, account_id, operation, amount, balance_after, version, idempotency_key, created_at";

    /// <summary>Reads every row of <see cref="Columns"/>, ordered by id (a claim's RETURNING has no defined order).</summary>
    public static async Task<IReadOnlyList<OutboxEvent>> ReadAllAsync(DbDataReader r, CancellationToken ct)
    {
        var events = new List<OutboxEvent>();
        while (await r.ReadAsync(ct))
            events.Add(new OutboxEvent(r.GetInt64(0), r.GetString(1), (LedgerOperation)r.GetInt32(2), r.GetInt64(3), r.GetInt64(4),
                r.GetInt64(5), r.GetString(6), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7))));
        events.Sort((a, b) => a.Id.CompareTo(b.Id));
        return events;
    }
}

/// <summary>
/// The outbox side of a ledger database. Unlike <see cref="Db.ILedgerStore.CommitAsync"/>, these calls run on their
/// own pooled connections and may overlap commits. Shipping is safe with several nodes on one database: a node
/// <em>claims</em> rows for a lease before shipping them, so two publishers never ship the same row at the same time,
/// and rows claimed by a node that died are taken over when its lease ends (or at once by the same node restarted
/// with the same owner name).
/// </summary>
public interface IOutboxStore
{
    /// <summary>
    /// Claims up to <paramref name="max"/> unshipped rows not claimed by another live owner, oldest first, none with
    /// an id above <paramref name="upToId"/> (a drain's flush ships what was there when it began, not other nodes' new rows).
    /// </summary>
    Task<IReadOnlyList<OutboxEvent>> ClaimUnshippedAsync(string owner, int max, TimeSpan lease, CancellationToken ct, long upToId = long.MaxValue);

    /// <summary>The highest outbox row id so far (0 when empty): every write this node committed before the call has one at or below it.</summary>
    Task<long> LastIdAsync(CancellationToken ct);

    /// <summary>Marks rows shipped; call only after the sink confirmed them.</summary>
    Task MarkShippedAsync(IReadOnlyList<long> ids, CancellationToken ct);

    /// <summary>Rows not shipped yet (the backlog gauge).</summary>
    Task<long> CountUnshippedAsync(CancellationToken ct);
}
