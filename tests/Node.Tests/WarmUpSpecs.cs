using System.Net;
using System.Text.Json;
using ActorService.Actors.Accounts;
using ActorService.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Warm before ready (src/Node/Hosting/WarmUp.cs): a node that joined stays 503 "warming up" until its warm-up ran, the
/// warm-up reads every shard the cluster hosts through the node's own listener, and it writes nothing to the ledger.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class WarmUpSpecs
{
    private const int ShardCount = 100; // hocon.conf's actor-service.accounts.shard-count

    [Fact]
    public async Task Should_stay_503_warming_up_until_the_warm_up_ran_and_write_nothing_to_the_ledger()
    {
        var seedPort = Ports.Free();
        var seeds = new[] { $"127.0.0.1:{seedPort}" };
        var dir = Repo.NewWorkDir("warm-up"); // one cluster, one database: both nodes share the SQLite file
        await using var first = await NodeProcess.StartReadyAsync(new NodeLaunch(Ports.Free(), seedPort, dir) { Seeds = seeds }, "first");
        // Every shard hosted somewhere, by reads only (a read of an account never written allocates its shard, writes nothing).
        foreach (var id in OnePerShard("alloc-"))
            Assert.Equal(HttpStatusCode.NotFound, (await first.Http.GetAccount(id)).Status);

        var second = NodeProcess.Start(new NodeLaunch(Ports.Free(), Ports.Free(), dir) { Seeds = seeds }, "second");
        await using var _ = second;
        var answers = await ProbeUntilReadyAsync(second, TimeSpan.FromSeconds(60));

        var memberUp = await second.WaitForLogAsync(l => l.Contains("Member Up:", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "that it is Up");
        Assert.Contains("readiness 503: warming up", memberUp);
        var done = await second.WaitForLogAsync(l => l.Contains("Warm-up done in", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "its warm-up");
        Assert.Contains($"{ShardCount} shards hosted in the cluster, answers 400: 2, 404: {ShardCount}", done);
        // Those 102 requests are the node's own, not client traffic: its request metrics count none of them.
        var scrape = await PrometheusScrape.From(second.Management);
        foreach (var route in new[] { "/accounts/{id}", "/accounts/{id}/deposit" })
            Assert.True(scrape.Sum("http_server_request_duration_seconds_count", ("http_route", route)) == 0,
                $"the warm-up's requests to {route} were counted as client requests in /metrics");
        // Once ready it stayed ready, and before that it said why not; "warming up" was the last reason when it was seen.
        var firstReady = answers.FindIndex(a => a.Status == HttpStatusCode.OK);
        Assert.True(answers.Skip(firstReady).All(a => a.Status == HttpStatusCode.OK), string.Join(", ", answers));
        Assert.All(answers.Take(firstReady), a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.Status));
        if (answers.Take(firstReady).LastOrDefault(a => a.Reason is not null) is { } last) Assert.Equal("warming up", last.Reason);

        Assert.Equal((0L, 0L, 0L), await LedgerRowsAsync(Path.Combine(dir, "ledger.db")));
    }

    [Fact]
    public async Task Should_report_ready_anyway_when_the_warm_up_misses_its_deadline()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("warm-up-deadline")) with { Hocon = ["actor-service.warm-up.deadline = 1ms"] };
        await using var node = await InProcessNode.StartReadyAsync(launch);
        Assert.Contains(node.Lines, l => l.Contains("Warm-up did not finish within", StringComparison.Ordinal) && l.Contains("reporting ready anyway", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await node.Management.GetAsync("health/ready")).StatusCode);
    }

    private sealed record Probe(HttpStatusCode Status, string? Reason);

    /// <summary>The readiness probe's answers, as often as it answers, from the node's start until the first 200.</summary>
    private static async Task<List<Probe>> ProbeUntilReadyAsync(NodeProcess node, TimeSpan within)
    {
        using var probe = NodeProcess.NewClient(node.ManagementUri, TimeSpan.FromSeconds(2));
        var answers = new List<Probe>();
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(node.HasExited, $"{node.Name} exited before it was ready\n{node.Tail()}");
            try
            {
                using var answer = await probe.GetAsync("health/ready");
                var reason = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("reason").GetString();
                answers.Add(new Probe(answer.StatusCode, reason));
                if (answer.StatusCode == HttpStatusCode.OK) return answers;
            }
            catch (HttpRequestException) { } // not listening yet
            await Task.Delay(5);
        }
        throw new TimeoutException($"{node.Name} not ready within {within}; answers: {string.Join(", ", answers)}\n{node.Tail()}");
    }

    private static IEnumerable<string> OnePerShard(string prefix)
    {
        var extractor = new AccountMessageExtractor(ShardCount);
        var seen = new HashSet<string>();
        for (var i = 0; seen.Count < ShardCount; i++)
            if (seen.Add(extractor.ShardId($"{prefix}{i}", null)!)) yield return $"{prefix}{i}";
    }

    private static async Task<(long Accounts, long Keys, long Outbox)> LedgerRowsAsync(string path)
    {
        await using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await db.OpenAsync();
        async Task<long> Count(string table)
        {
            await using var command = db.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {table}";
            return (long)(await command.ExecuteScalarAsync())!;
        }
        return (await Count("accounts"), await Count("idempotency_keys"), await Count("outbox"));
    }
}
