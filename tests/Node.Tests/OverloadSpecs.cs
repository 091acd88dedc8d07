using System.Diagnostics;
using System.Net;
using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Db;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The per-node concurrency limit (actor-service.http.limits) and balance overflow, against real node processes:
/// overload is refused at once with 503 + Retry-After and processes nothing, probes keep answering, and a deposit
/// that would pass the largest 64-bit balance is refused instead of wrapping.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class OverloadSpecs
{
    private const string ProblemPrefix = "/problems/";
    private const string AdminToken = "overload-admin-token-0123456789abcdef";

    [Fact]
    public async Task Should_answer_503_with_retry_after_and_keep_probes_answering_when_requests_exceed_the_limit_and_queue()
    {
        // Two requests at once, one waiting; generous request timeouts so the held writes never time out on a slow machine.
        await using var node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("overload")) with
        {
            AdminToken = AdminToken,
            Hocon =
            [
                "actor-service.http.limits { concurrent-requests = 2, request-queue = 1, overload-retry-after = 3s }",
                .. DrainHarness.LongRequests(askTimeoutSeconds: 30, requestTimeoutSeconds: 60),
            ],
        });
        var held = Enumerable.Range(0, 3).Select(i => $"held-{i}-{Guid.NewGuid():N}").ToList();
        var holding = held.Select(id => node.Http.Deposit(id, 10, key: "k-" + id, delayMs: 4000)).ToList();
        await InFlight(node.Management, held.Count, TimeSpan.FromSeconds(3), "the three held writes to be inside the node (admin/status inFlightRequests)");

        // Once the two slots and the queue are taken, the next request must be refused at once.
        var refusedIds = new List<string>();
        var refused = await Eventually.Get(async () =>
        {
            var id = $"probe-{Guid.NewGuid():N}";
            var answer = await node.Http.Deposit(id, 1);
            if (answer.Status != HttpStatusCode.ServiceUnavailable) return null;
            refusedIds.Add(id);
            return answer;
        }, TimeSpan.FromSeconds(2), "a request beyond 2 running + 1 queued to be refused (the held writes hold 4 s)");

        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Equal(ProblemPrefix + "overloaded", refused.ProblemType);
        Assert.Equal(TimeSpan.FromSeconds(3), refused.Response.Headers.RetryAfter?.Delta);

        // Probes bypass the limit: the load balancer and Kubernetes still get their answer while the node is full.
        var probeTime = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("health/live")).StatusCode);
        Assert.True(probeTime.Elapsed < TimeSpan.FromSeconds(2), $"probes took {probeTime.ElapsedMilliseconds} ms while the limit was full");
        Assert.False(holding.All(t => t.IsCompleted), "the held writes finished before the refusal was checked; the test proved nothing");

        // Every held write (the queued one included) completes; every refused one processed nothing.
        var answers = await Task.WhenAll(holding);
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"a held write failed: {a}"));
        foreach (var id in refusedIds)
        {
            var read = await node.Http.GetAccount(id);
            Assert.True(read.Status == HttpStatusCode.NotFound, $"refused write to {id} must not exist, got {read}");
        }
        // With the load gone, the node serves normally again.
        Assert.Equal(HttpStatusCode.OK, (await node.Http.Deposit($"after-{Guid.NewGuid():N}", 1)).Status);
    }

    [Fact]
    public async Task Should_answer_503_not_an_empty_200_when_the_drain_deadline_cancels_a_request_still_queued()
    {
        // One slot, held by a request that outlives the request timeout (the /test/hold hook, as a request whose body
        // arrives slowly can); a write waits in the limiter's queue when the drain's request deadline fires. The rate
        // limiting middleware drops a cancelled waiter without writing anything, which the client would read as an
        // empty 200; the node must say 503 (nothing processed, retry) instead.
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("queued-drain")) with
        {
            AdminToken = AdminToken,
            Hocon =
            [
                "actor-service.http.limits { concurrent-requests = 1, request-queue = 4 }",
                "actor-service.http.request-timeout = 2s",
                "actor-service.drain.request-deadline = 2s",
            ],
        });
        var held = DrainHarness.Hold(node, 30);
        await InFlight(node.Management, 1, TimeSpan.FromSeconds(5), "the held request to hold the only slot");
        var queued = node.Http.Deposit($"queued-{Guid.NewGuid():N}", 1, key: "queued");
        await InFlight(node.Management, 2, TimeSpan.FromSeconds(5), "the write to wait in the queue");
        Assert.False(queued.IsCompleted, "the write should be waiting for the slot");

        node.Signal(Signals.SIGTERM);
        var answer = await queued.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"a queued request cancelled by the drain deadline must get 503, got {answer}");
        Assert.Equal(ProblemPrefix + "drain-deadline", answer.ProblemType);
        Assert.NotNull(answer.Response.Headers.RetryAfter);
        var slow = await held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(slow.StatusCode == HttpStatusCode.ServiceUnavailable, $"the held request cancelled by the deadline must get 503, got {(int)slow.StatusCode}");
    }

    [Fact]
    public async Task Should_refuse_a_deposit_with_409_and_keep_the_balance_when_it_would_overflow_64_bits()
    {
        // An amount is at most 1e9, so reaching the 64-bit limit over HTTP would take ~9e9 deposits: the account is
        // written near the limit straight into the node's database before the node starts.
        var dir = Repo.NewWorkDir("overflow");
        const string id = "near-the-limit";
        const long start = long.MaxValue - 5;
        await using (var store = new SqliteLedgerStore(Path.Combine(dir, "ledger.db"), "full", TimeSpan.FromSeconds(5)))
        {
            await store.InitializeAsync(CancellationToken.None);
            var outcome = await store.CommitAsync([new PendingWrite(id, LedgerOperation.Deposit, 5, "seed", 0, start)], CancellationToken.None);
            Assert.IsType<WriteOutcome.Committed>(Assert.Single(outcome));
        }
        await using var node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(dir));
        Assert.Equal(start, (await node.Http.GetAccount(id)).Balance);

        var over = await node.Http.Deposit(id, 6);
        Assert.True(over.Status == HttpStatusCode.Conflict, $"expected 409, got {over}");
        Assert.Equal(ProblemPrefix + "balance-overflow", over.ProblemType);
        Assert.Equal(start, (await node.Http.GetAccount(id)).Balance);

        var exact = await node.Http.Deposit(id, 5);
        Assert.True(exact.Status == HttpStatusCode.OK && exact.Balance == long.MaxValue, $"filling up to exactly long.MaxValue must work, got {exact}");
        var one = await node.Http.Deposit(id, 1);
        Assert.True(one.Status == HttpStatusCode.Conflict, $"one more than long.MaxValue must be refused, got {one}");
        Assert.Equal(long.MaxValue, (await node.Http.GetAccount(id)).Balance);
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> ledger requests are inside the node. /admin/* bypasses the limit,
    /// so it can look while the node is full; the gate counts the status request itself too, hence the + 1.
    /// </summary>
    private static Task InFlight(HttpClient http, int count, TimeSpan within, string what) => Eventually.True(async () =>
        (await http.Status(AdminToken)).Body.GetProperty("inFlightRequests").GetInt32() >= count + 1, within, what);
}
