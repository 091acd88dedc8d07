using System.Net;
using ActorService.Actors.Accounts;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Two nodes built in one process (as in-process specs build them) keep their own metrics, status counts, drain id and
/// pause fence: nothing a node reports or consults lives in process-wide static state. Each node is its own one-node
/// cluster on SQLite.
/// </summary>
public sealed class NodeIsolationSpecs
{
    private const string HttpCount = "http_server_request_duration_seconds_count";
    private const string AdminToken = SingleNodeFixture.AdminToken;

    private static Task<InProcessNode> StartAsync(string name, string? logLevel = null) =>
        InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("isolation-" + name)) with
        {
            AdminToken = AdminToken,
            LogLevel = logLevel,
        }, name);

    private static string NewId() => "iso-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Should_count_only_its_own_requests_and_entities_when_two_nodes_share_a_process()
    {
        await using var a = await StartAsync("a");
        await using var b = await StartAsync("b");

        var id = NewId();
        for (var i = 1; i <= 3; i++) Assert.Equal(HttpStatusCode.OK, (await a.Http.Deposit(id, i)).Status);

        var scrapeA = await PrometheusScrape.From(a.Management);
        var scrapeB = await PrometheusScrape.From(b.Management);
        (string, string) depositRoute = ("http_route", "/accounts/{id}/deposit");
        Assert.True(scrapeA.Sum(HttpCount, depositRoute) == 3,
            $"node a served 3 deposits; its /metrics counts {scrapeA.Sum(HttpCount, depositRoute)}\n{Lines(scrapeA, HttpCount)}");
        Assert.True(scrapeB.Sum(HttpCount, depositRoute) == 0,
            $"node b served no deposit; its /metrics counts {scrapeB.Sum(HttpCount, depositRoute)}\n{Lines(scrapeB, HttpCount)}");
        Assert.Equal(3, scrapeA.Sum("actorservice_ledger_writes_total", ("outcome", "applied")));
        Assert.True(scrapeB.Sum("actorservice_ledger_writes_total") == 0,
            $"node b applied no write; its /metrics says\n{Lines(scrapeB, "actorservice_ledger_writes_total")}");
        Assert.Equal(3, scrapeA.Sum("actorservice_db_batch_size_sum"));
        Assert.Equal(0, scrapeB.Sum("actorservice_db_batch_size_sum"));
        Assert.Equal(1, scrapeA.Single("actorservice_entities_active"));
        Assert.Equal(0, scrapeB.Single("actorservice_entities_active"));

        // /admin/status reads the same per-node counters (the drain's samples do too).
        var statusA = await a.Management.Status(AdminToken);
        var statusB = await b.Management.Status(AdminToken);
        Assert.Equal(1, statusA.Body.GetProperty("activeEntities").GetInt64());
        Assert.True(statusB.Body.GetProperty("activeEntities").GetInt64() == 0, $"node b activated no entity: {statusB}");

        // Each node's pause fence is its own (one host's pause is not another's), and its entities consult that one.
        var fenceA = a.Services.GetRequiredService<PauseFence>();
        Assert.NotSame(fenceA, b.Services.GetRequiredService<PauseFence>());
        Assert.Same(fenceA, ReachabilitySignal.For(a.Services.GetRequiredService<ActorSystem>()).Fence);
    }

    [Fact]
    public async Task Should_keep_its_log_lines_free_of_another_nodes_shutdown_id_when_that_node_drains()
    {
        var a = await StartAsync("a");
        var drained = false;
        try
        {
            await using var b = await StartAsync("b", logLevel: "Debug"); // b logs every request (Debug), so it has lines after a's drain
            drained = true;
            await a.DisposeAsync(); // a drains as on SIGTERM: from its start, every line of a's logger carries a's shutdown id
            await a.WaitForLogAsync(l => l.Contains("shutdown="), TimeSpan.FromSeconds(5), "a line stamped with its own shutdown id");

            var linesBefore = b.Lines.Count;
            Assert.Equal(HttpStatusCode.OK, (await b.Http.Deposit(NewId(), 1)).Status);
            await b.WaitForLogAsync(l => l.Contains("/deposit"), TimeSpan.FromSeconds(5), "its request line for the deposit");
            Assert.True(b.Lines.Count > linesBefore, "b wrote lines after a drained");
            var stamped = b.Lines.Where(l => l.Contains("shutdown=")).ToList();
            Assert.True(stamped.Count == 0, $"node b never drained, yet {stamped.Count} of its lines carry a shutdown id:\n{string.Join('\n', stamped.Take(5))}");
        }
        finally
        {
            if (!drained) await a.DisposeAsync();
        }
    }

    private static string Lines(PrometheusScrape scrape, string name) => string.Join('\n', scrape.Find(name).Select(s => s.ToString()));
}
