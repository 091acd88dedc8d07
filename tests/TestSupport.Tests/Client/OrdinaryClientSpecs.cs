using System.Diagnostics;
using Xunit;

namespace ActorService.TestSupport.Tests.Client;

/// <summary>
/// The ordinary client behaves as an application's HTTP client: 64 connections, 2 s per request including the wait
/// for a connection, at most 512 in flight (beyond that, or without a free connection in time: <c>pool-full</c>,
/// never sent), Retry-After honoured only in the retrying variant, with the same key, at most 10 times within 12 s.
/// </summary>
public sealed class OrdinaryClientSpecs
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static TimeSpan Now() => Clock.Elapsed;

    [Fact]
    public async Task Should_fail_requests_that_find_no_free_connection_as_pool_full_when_all_64_connections_hang()
    {
        await using var server = await StubServer.StartAsync(StubServer.Hang);
        using var client = new OrdinaryClient(server.Uri, ClientModel.Ordinary, Now);

        var records = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.SendAsync(i, new LoadRequest(Operation.Read, $"a{i}"), Now())));

        var causes = records.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(causes.GetValueOrDefault(Attempt.Timeout) == 64 && causes.GetValueOrDefault(Attempt.PoolFull) == 36,
            $"expected 64 timeouts (on the 64 connections) and 36 pool-full: {string.Join(", ", causes)}");
        Assert.Equal(64, server.MaxConcurrent);
        Assert.All(records, r => Assert.InRange(r.End - r.Start, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4)));
        Assert.All(records.Where(r => r.Outcome == Attempt.PoolFull), r => Assert.True(r.NeverSent));
    }

    [Fact]
    public async Task Should_fail_at_once_as_pool_full_when_512_requests_are_in_flight()
    {
        await using var server = await StubServer.StartAsync(StubServer.Hang);
        using var client = new OrdinaryClient(server.Uri, ClientModel.Ordinary, Now);

        var records = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => client.SendAsync(i, new LoadRequest(Operation.Read, $"a{i}"), Now())));

        var immediate = records.Count(r => r.Outcome == Attempt.PoolFull && r.End - r.Start < TimeSpan.FromSeconds(1));
        Assert.Equal(600 - 512, immediate);
        Assert.Equal(64, records.Count(r => r.Outcome == Attempt.Timeout));
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task Should_send_again_with_the_same_key_after_retry_after_when_the_model_honours_it()
    {
        var answered = 0;
        await using var server = await StubServer.StartAsync(context => Interlocked.Increment(ref answered) switch
        {
            1 => StubServer.Json(context, 503, """{"type":"/problems/draining"}""", ("Retry-After", "1")),
            2 => StubServer.Json(context, 504, """{"type":"/problems/outcome-unknown"}""", ("Retry-After", "1"), ("Idempotency-Key", "k1")),
            _ => StubServer.Json(context, 200, """{"id":"a","balance":5,"applied":true,"version":3}""", ("X-Served-By", "node2")),
        });
        using var client = new OrdinaryClient(server.Uri, ClientModel.OrdinaryWithRetries, Now);

        var record = await client.SendAsync(1, new LoadRequest(Operation.Deposit, "a", 5, "k1"), Now());

        Assert.Equal(["503 draining", "504 outcome-unknown", "200"], record.Attempts.Select(a => a.Cause));
        Assert.Equal(["k1", "k1", "k1"], server.KeysSeen);
        Assert.Equal(("node2", 3L, 5L), (record.Final.Node, record.Final.Version!.Value, record.Final.Balance!.Value));
        Assert.Equal("k1", record.Attempts[1].ResponseKey);
        Assert.True(record.Attempts[1].Start - record.Attempts[0].End >= TimeSpan.FromSeconds(0.9), "the retry waited for Retry-After");
    }

    [Fact]
    public async Task Should_not_retry_when_the_model_does_not_honour_retry_after()
    {
        await using var server = await StubServer.StartAsync(context => StubServer.Json(context, 503, """{"type":"/problems/draining"}""", ("Retry-After", "1")));
        using var client = new OrdinaryClient(server.Uri, ClientModel.Ordinary, Now);

        var record = await client.SendAsync(1, new LoadRequest(Operation.Deposit, "a", 5, "k1"), Now());

        Assert.Equal("503 draining", Assert.Single(record.Attempts).Cause);
    }

    [Fact]
    public async Task Should_stop_after_ten_retries()
    {
        await using var server = await StubServer.StartAsync(context => StubServer.Json(context, 504, """{"type":"/problems/outcome-unknown"}""", ("Retry-After", "0")));
        using var client = new OrdinaryClient(server.Uri, ClientModel.OrdinaryWithRetries, Now);

        var record = await client.SendAsync(1, new LoadRequest(Operation.Deposit, "a", 5, "k1"), Now());

        Assert.Equal(11, record.Attempts.Count);
        Assert.Equal(11, server.KeysSeen.Count(k => k == "k1"));
    }

    [Fact]
    public async Task Should_not_send_a_retry_that_would_start_after_the_retry_budget()
    {
        await using var server = await StubServer.StartAsync(context => StubServer.Json(context, 503, """{"type":"/problems/overloaded"}""", ("Retry-After", "1")));
        using var client = new OrdinaryClient(server.Uri, ClientModel.OrdinaryWithRetries with { RetryBudget = TimeSpan.FromSeconds(2.5) }, Now);

        var record = await client.SendAsync(1, new LoadRequest(Operation.Deposit, "a", 5, "k1"), Now());

        Assert.Equal(3, record.Attempts.Count); // at 0, 1 and 2 s; the next would start at 3 s
    }

    [Fact]
    public async Task Should_retry_only_503_when_the_client_is_the_patient_one()
    {
        await using var server = await StubServer.StartAsync(context => StubServer.Json(context, 504, """{"type":"/problems/outcome-unknown"}""", ("Retry-After", "0")));
        using var client = new OrdinaryClient(server.Uri, ClientModel.Patient(honourRetryAfter: true), Now);

        var record = await client.SendAsync(1, new LoadRequest(Operation.Deposit, "a", 5, "k1"), Now());

        Assert.Equal("504 outcome-unknown", Assert.Single(record.Attempts).Cause);
    }
}
