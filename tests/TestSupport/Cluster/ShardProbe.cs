using System.Collections.Concurrent;
using System.Net;
using ActorService.Actors.Accounts;

namespace ActorService.TestSupport;

/// <summary>
/// One account per shard (found with the node's own shard extractor), read over and over through the surviving nodes
/// after a failure until every shard has answered. A shard "serves again" when a read of its account is answered
/// (200, or 404 for an account never written: either way its entity ran); the figure is the time of that answer.
/// </summary>
public sealed class ShardProbe
{
    private readonly string[] _accounts;

    public ShardProbe(int shardCount, string prefix)
    {
        var extractor = new AccountMessageExtractor(shardCount);
        _accounts = new string[shardCount];
        var found = 0;
        for (var i = 0; found < shardCount; i++)
        {
            var id = $"{prefix}-p{i}";
            var shard = int.Parse(extractor.ShardId(id, null));
            if (_accounts[shard] is not null) continue;
            _accounts[shard] = id;
            found++;
        }
    }

    public IReadOnlyList<string> Accounts => _accounts;

    /// <summary>Per shard, when it first answered (on <paramref name="clock"/>); null for a shard that never did within <paramref name="within"/>.</summary>
    public async Task<IReadOnlyList<TimeSpan?>> WaitAllServingAsync(IReadOnlyList<Uri> survivors, Func<TimeSpan> clock, TimeSpan within)
    {
        var served = new TimeSpan?[_accounts.Length];
        var probes = new ConcurrentBag<Task>();
        var outstanding = new int[_accounts.Length];
        var clients = survivors.Select(u => NodeProcess.NewClient(u, TimeSpan.FromSeconds(12))).ToList();
        var start = clock();
        var turn = 0;
        try
        {
            while (clock() - start < within)
            {
                List<int> waiting;
                lock (served) waiting = Enumerable.Range(0, _accounts.Length).Where(s => served[s] is null).ToList();
                if (waiting.Count == 0) break;
                foreach (var shard in waiting.Where(s => Volatile.Read(ref outstanding[s]) < 16))
                {
                    var client = clients[turn++ % clients.Count];
                    Interlocked.Increment(ref outstanding[shard]);
                    probes.Add(ProbeAsync(shard, client));
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
            await Task.WhenAll(probes);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        return served;

        async Task ProbeAsync(int shard, HttpClient client)
        {
            try
            {
                var answer = await client.GetAccount(_accounts[shard]);
                if (answer.Status is HttpStatusCode.OK or HttpStatusCode.NotFound)
                    lock (served) served[shard] ??= clock();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { /* not serving yet */ }
            finally { Interlocked.Decrement(ref outstanding[shard]); }
        }
    }
}
