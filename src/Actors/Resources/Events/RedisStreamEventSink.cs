using System.Globalization;
using StackExchange.Redis;

namespace ActorService.Actors.Resources.Events;

/// <summary>
/// Ships ledger events to a Redis Stream with <c>XADD</c>, one entry per event, pipelined per batch. Each entry
/// carries the outbox id in its <c>id</c> field: consumers de-duplicate on it, because delivery is at least once
/// (a batch confirmed by Redis but not yet marked shipped when the node died is sent again). The entry id itself is
/// left to Redis: with several nodes, outbox ids commit out of order, and an explicit entry id lower than the
/// stream's last one would be refused forever.
/// </summary>
public sealed class RedisStreamEventSink(IConnectionMultiplexer redis, string streamKey) : IEventSink
{
    public string Backend => "redis-stream";
    public string Where => streamKey;

    public async Task PublishAsync(IReadOnlyList<OutboxEvent> events, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var adds = events.Select(e => batch.StreamAddAsync(streamKey, Fields(e))).ToList();
        batch.Execute();
        await Task.WhenAll(adds).WaitAsync(ct);
    }

    private static NameValueEntry[] Fields(OutboxEvent e) =>
    [
        new("id", e.Id),
        new("account", e.AccountId),
        new("op", e.Operation.ToString().ToLowerInvariant()),
        new("amount", e.Amount),
        new("balance", e.BalanceAfter),
        new("version", e.Version),
        new("key", e.IdempotencyKey),
        new("at", e.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
    ];

    // The multiplexer is shared with the cache and owned by the node; closing the sink does not close it.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
