using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActorService.TestSupport;
using StackExchange.Redis;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The Redis snapshot cache is never the truth: a node (built in-process) on PostgreSQL, with a Redis of the spec's own that the
/// spec restarts, flushes, stops and corrupts. Entities passivate after 300 idle ms, so every round activates
/// them again through the cache. Every answer must match what the client knows it wrote.
/// </summary>
public sealed class RedisCacheSpecs : IAsyncLifetime
{
    private const int Accounts = 8;
    private readonly Dictionary<string, long> _expected = [];
    private readonly string _prefix = "rc" + Guid.NewGuid().ToString("N")[..6];
    private RedisServer _redis = null!;
    private InProcessNode _node = null!;
    private int _round;

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var launch = NodeLaunch.Single(Repo.NewWorkDir("redis-cache")) with
        {
            AdminToken = SingleNodeFixture.AdminToken,
            Hocon = ["actor-service.accounts.passivate-after = 300ms"],
        };
        _node = await InProcessNode.StartReadyAsync(launch.WithPostgresAndRedis(await TestServices.NewPostgresDatabase("cache"), _redis.Configuration));
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>Deposits to every account, reads them while active, waits for passivation, reads and writes again.</summary>
    private async Task ExerciseAsync(string when)
    {
        _round++;
        for (var i = 0; i < Accounts; i++)
        {
            var id = $"{_prefix}-{i}";
            var amount = _round * 10 + i;
            var w = await _node.Http.Deposit(id, amount, key: $"r{_round}-a");
            Assert.True(w.Status == HttpStatusCode.OK, $"{when}: deposit to {id} answered {w}");
            _expected[id] = _expected.GetValueOrDefault(id) + amount;
            Assert.True(w.Balance == _expected[id], $"{when}: deposit to {id} returned balance {w.Balance}, expected {_expected[id]}");
        }
        await WaitForPassivation(when);
        foreach (var (id, balance) in _expected)
        {
            var read = await _node.Http.GetAccount(id);
            Assert.True(read.Status == HttpStatusCode.OK && read.Balance == balance, $"{when}: reading passivated {id} answered {read}, expected balance {balance}");
        }
        await WaitForPassivation(when);
        foreach (var id in _expected.Keys.ToList())
        {
            var w = await _node.Http.Withdraw(id, 1, key: $"r{_round}-b");
            _expected[id] -= 1;
            Assert.True(w.Status == HttpStatusCode.OK && w.Balance == _expected[id], $"{when}: withdrawal from passivated {id} answered {w}, expected balance {_expected[id]}");
        }
    }

    private async Task WaitForPassivation(string when)
    {
        Func<HttpRequestMessage> request = () => new HttpRequestMessage(HttpMethod.Get, "admin/status")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", SingleNodeFixture.AdminToken) },
        };
        await Eventually.True(async () =>
        {
            using var message = request();
            var status = await LedgerClient.Send(_node.Management, message);
            return status.Body.GetProperty("activeEntities").GetInt64() == 0;
        }, TimeSpan.FromSeconds(30), $"{when}: every entity to passivate");
    }

    private async Task<List<RedisKey>> CachedKeys()
    {
        await using var redis = await TestServices.ConnectRedis(_redis.Configuration);
        return redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: $"*:acct:{_prefix}-*").ToList();
    }

    [Fact]
    public async Task Should_keep_answers_correct_and_fill_the_cache_again_when_redis_restarts_empty()
    {
        await ExerciseAsync("before the restart");
        Assert.Equal(Accounts, (await CachedKeys()).Count);
        await _redis.StopAsync();
        await _redis.StartAgainAsync();
        await ExerciseAsync("right after the restart"); // the node may still be reconnecting: cache misses, database answers
        // Once reconnected, the next writes fill the cache again (a write failed while disconnected is simply not cached).
        // Every round's answers are asserted (a wrong one fails the spec at once); only the refill is waited for.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int cached;
        do
        {
            await ExerciseAsync("after the restart");
            cached = (await CachedKeys()).Count;
        } while (cached < Accounts && DateTime.UtcNow < deadline);
        Assert.True(cached == Accounts, $"after 60 s only {cached} of {Accounts} accounts were cached again in the restarted Redis");
    }

    [Fact]
    public async Task Should_keep_answers_correct_when_redis_is_flushed()
    {
        await ExerciseAsync("before the flush");
        await using (var redis = await TestServices.ConnectRedis(_redis.Configuration))
            await redis.GetServer(redis.GetEndPoints()[0]).FlushAllDatabasesAsync();
        Assert.Empty(await CachedKeys());
        await ExerciseAsync("after the flush");
    }

    [Fact]
    public async Task Should_serve_every_request_from_the_database_when_redis_is_stopped()
    {
        await ExerciseAsync("with redis up");
        await _redis.StopAsync();
        await ExerciseAsync("with redis down");
        await ExerciseAsync("with redis still down");
        await _redis.StartAgainAsync();
        await ExerciseAsync("after redis came back");
    }

    [Fact]
    public async Task Should_never_serve_a_cached_snapshot_that_disagrees_with_the_database()
    {
        await ExerciseAsync("before corrupting the cache");
        await using (var redis = await TestServices.ConnectRedis(_redis.Configuration))
        {
            var db = redis.GetDatabase();
            var keys = await CachedKeys();
            Assert.Equal(Accounts, keys.Count);
            // Same version, wrong balance on half; an older version with a wrong balance on the other half.
            foreach (var (key, i) in keys.Select((k, i) => (k, i)))
            {
                var version = (long)await db.HashGetAsync(key, "v");
                await db.HashSetAsync(key, [new("b", 1_000_000), new("v", i % 2 == 0 ? version : version - 1)]);
            }
        }
        await ExerciseAsync("after corrupting the cache");
    }
}
