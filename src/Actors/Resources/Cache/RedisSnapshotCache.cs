using ActorService.Actors.Resources.Db;
using StackExchange.Redis;

namespace ActorService.Actors.Resources.Cache;

/// <summary>
/// Account snapshots in Redis, shared by every node: one hash per account (<c>b</c> balance, <c>v</c> version) under
/// <c>{prefix}:{ledger id}:acct:{account}</c>, expiring after <c>cache.ttl</c>. The ledger id (the database's identity)
/// in the key means a Redis that outlives its database never answers for a new one. Writes are version-guarded in
/// one Lua script, so a late, older snapshot never replaces a newer one. Any Redis error surfaces as a failed task,
/// which the cache actor turns into a miss.
/// </summary>
public sealed class RedisSnapshotCache(IConnectionMultiplexer redis, string keyPrefix, string ledgerId, TimeSpan ttl) : ISnapshotCache
{
    // KEYS[1] = account key; ARGV = balance, version, ttl in ms. Returns 1 when stored, 0 when a newer version is there.
    private static readonly LuaScript PutIfNewer = LuaScript.Prepare("""
        local current = redis.call('HGET', @key, 'v')
        if current and tonumber(current) >= tonumber(@version) then return 0 end
        redis.call('HSET', @key, 'b', @balance, 'v', @version)
        redis.call('PEXPIRE', @key, @ttl)
        return 1
        """);

    private static readonly RedisValue[] Fields = ["b", "v"];

    public string Backend => "redis";

    private RedisKey Key(string accountId) => $"{keyPrefix}:{ledgerId}:acct:{accountId}";

    public async Task<AccountSnapshot?> GetAsync(string accountId)
    {
        var values = await redis.GetDatabase().HashGetAsync(Key(accountId), Fields);
        return values is [{ HasValue: true } b, { HasValue: true } v] ? new AccountSnapshot(accountId, (long)b, (long)v) : null;
    }

    public Task PutAsync(AccountSnapshot snapshot) =>
        redis.GetDatabase().ScriptEvaluateAsync(PutIfNewer, new
        {
            key = Key(snapshot.AccountId),
            balance = snapshot.Balance,
            version = snapshot.Version,
            ttl = (long)ttl.TotalMilliseconds,
        });

    public Task RemoveAsync(string accountId) => redis.GetDatabase().KeyDeleteAsync(Key(accountId));

    // The multiplexer is shared with the event sink and owned by the node; closing the cache does not close it.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
