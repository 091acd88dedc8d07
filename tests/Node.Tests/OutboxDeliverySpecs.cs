using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using StackExchange.Redis;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Every applied write reaches the event sink exactly once after de-duplication by outbox id: under load, through a
/// <c>kill -9</c> in the middle (the restarted node ships what the dead one left) and a graceful drain at the end
/// (the publisher flushes the outbox before the database closes).
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class OutboxDeliverySpecs(ITestOutputHelper output)
{
    private sealed record Written(string Account, string Key);

    /// <summary>Writers with unique keys until cancelled or the node stops answering; returns the acknowledged writes.</summary>
    private static async Task<List<Written>> LoadAsync(NodeProcess node, string phase, int workers, Func<int, bool> stop)
    {
        var acked = new ConcurrentBag<Written>();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop(acked.Count); n++)
            {
                var write = new Written($"ob-{w}-{n % 4}", $"{phase}-{w}-{n}");
                try
                {
                    var answer = await node.Http.Deposit(write.Account, 1, key: write.Key);
                    if (answer.Status == HttpStatusCode.OK && answer.Applied) acked.Add(write);
                    else if (answer.Status == HttpStatusCode.ServiceUnavailable) return; // draining: the node said it did not apply it
                }
                catch (HttpRequestException) { return; } // the node is gone: this write's outcome is unknown
                catch (TaskCanceledException) { return; }
            }
        })));
        return acked.ToList();
    }

    [Fact]
    public async Task Should_stream_exactly_one_event_per_applied_write_when_a_node_is_killed_mid_load_and_restarted()
    {
        var postgres = await TestServices.NewPostgresDatabase("outbox");
        var stream = "ledger-events-" + Guid.NewGuid().ToString("N")[..8];
        var launch = (NodeLaunch.Single(Repo.NewWorkDir("outbox-kill9")) with { Hocon = [$"actor-service.events.stream = \"{stream}\""] })
            .WithPostgresAndRedis(postgres, TestServices.Redis);

        var acked = new List<Written>();
        await using (var first = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            var killed = false;
            acked.AddRange(await LoadAsync(first, "p1", 8, count =>
            {
                if (count >= 150 && !killed)
                {
                    killed = true;
                    first.Signal(Signals.SIGKILL); // in the middle of the load: commits and shipments in flight
                }
                return killed && first.HasExited;
            }));
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using (var second = await NodeProcess.StartReadyAsync(launch, "second"))
        {
            var drainStarted = false;
            acked.AddRange(await LoadAsync(second, "p2", 8, count =>
            {
                if (count >= 150 && !drainStarted)
                {
                    drainStarted = true;
                    second.Signal(Signals.SIGTERM); // a drain while writes keep coming
                }
                return second.HasExited;
            }));
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, $"the drain should end cleanly; log: {second.LogPath}");
        }

        // The database is the truth: every applied write has one outbox row, and the drain shipped them all.
        var outbox = (await TestServices.Query<string>(postgres, "SELECT id || '|' || account_id || '|' || idempotency_key FROM outbox"))
            .Select(r => r.Split('|')).ToDictionary(r => long.Parse(r[0]), r => new Written(r[1], r[2]));
        var keys = (await TestServices.Query<string>(postgres, "SELECT account_id || '|' || key FROM idempotency_keys"))
            .Select(r => r.Split('|')).Select(r => new Written(r[0], r[1])).ToHashSet();
        Assert.Equal(0L, (await TestServices.Query<long>(postgres, "SELECT count(*) FROM outbox WHERE shipped_at IS NULL"))[0]);
        Assert.Equal(keys.Count, outbox.Count);
        Assert.Equal(keys, outbox.Values.ToHashSet());
        Assert.All(acked, w => Assert.Contains(w, keys)); // nothing acknowledged was lost

        await using var redis = await TestServices.ConnectRedis(TestServices.Redis);
        var entries = await redis.GetDatabase().StreamRangeAsync(stream);
        var byId = entries.GroupBy(e => (long)e["id"]).ToDictionary(g => g.Key, g => g.Select(e => new Written(e["account"]!, e["key"]!)).Distinct().ToList());
        Assert.Equal(outbox.Keys.Order(), byId.Keys.Order()); // every applied write, and nothing else
        foreach (var (id, events) in byId)
            Assert.True(events.Count == 1 && events[0] == outbox[id], $"event {id} in the stream is {string.Join(", ", events)}, the outbox says {outbox[id]}");
        Assert.True(acked.Count >= 300, $"the load should have applied at least 300 writes, got {acked.Count}");
        // At least once: a batch shipped but not marked before the kill appears twice; de-duplication by id removes it.
        output.WriteLine($"{outbox.Count} applied writes ({acked.Count} acknowledged), {entries.Length} stream entries, {entries.Length - byId.Count} duplicates");
    }

    [Fact]
    public async Task Should_write_every_applied_write_to_the_events_file_when_the_embedded_node_drains()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("outbox-file"));
        await using var node = await NodeProcess.StartReadyAsync(launch);
        var acked = await LoadAsync(node, "f", 6, count => count >= 200);
        node.Signal(Signals.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var lines = File.ReadAllLines(Path.Combine(launch.DataDir, "events.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var byId = lines.GroupBy(l => l.GetProperty("id").GetInt64())
            .ToDictionary(g => g.Key, g => new Written(g.First().GetProperty("account").GetString()!, g.First().GetProperty("key").GetString()!));
        Assert.Equal(acked.Count, byId.Count);
        Assert.Equal(acked.ToHashSet(), byId.Values.ToHashSet());
    }
}
