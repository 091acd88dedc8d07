using System.Net;
using ActorService.TestSupport;
using Xunit;
using static ActorService.Node.Tests.DrainHarness;

namespace ActorService.Node.Tests;

/// <summary>
/// The three kinds of answer of docs/api.md, over HTTP: applied (200 with the account's version), not applied
/// (4xx; a refused write keeps its key), and unknown (504 <c>outcome-unknown</c> with the Idempotency-Key to retry with).
/// </summary>
public sealed class OutcomeContractSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private HttpClient Http => fixture.Node.Http;
    private static string NewId() => "out-" + Guid.NewGuid().ToString("N")[..12];

    private static long Version(LedgerClient.Answer answer) => answer.Body.GetProperty("version").GetInt64();

    private static string? ETag(LedgerClient.Answer answer) => answer.Response.Headers.ETag?.Tag;

    [Fact]
    public async Task Should_answer_the_same_409_when_a_refused_withdrawal_is_repeated_with_its_key_after_a_deposit()
    {
        // Issue 13: deposit 10; withdraw 100 with key K → 409; deposit 1,000; withdraw 100 with K again → was 200 applied.
        var id = NewId();
        await Http.Deposit(id, 10);
        var refused = await Http.Withdraw(id, 100, key: "K");
        await Http.Deposit(id, 1000);
        var repeat = await Http.Withdraw(id, 100, key: "K");

        foreach (var answer in new[] { refused, repeat })
        {
            Assert.True(answer.Status == HttpStatusCode.Conflict && answer.ProblemType == "/problems/insufficient-funds", $"{id}: {answer}");
            Assert.Equal(10, answer.Body.GetProperty("balance").GetInt64());
            Assert.Equal(1, Version(answer));
        }
        var read = await Http.GetAccount(id);
        Assert.True(read.Balance == 1010 && Version(read) == 2, $"{id}: nothing withdrawn, got {read}");
    }

    [Fact]
    public async Task Should_answer_422_when_a_refused_key_comes_back_for_another_write()
    {
        var id = NewId();
        await Http.Deposit(id, 10);
        Assert.Equal(HttpStatusCode.Conflict, (await Http.Withdraw(id, 100, key: "K")).Status);
        var other = await Http.Withdraw(id, 5, key: "K");
        Assert.True(other.Status == (HttpStatusCode)422 && other.ProblemType == "/problems/idempotency-key-reused", $"{id}: {other}");
        Assert.Equal(10, (await Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_carry_the_version_in_the_body_and_the_etag_when_writing_and_reading()
    {
        var id = NewId();
        var deposit = await Http.Deposit(id, 30);
        var withdraw = await Http.Withdraw(id, 5);
        var read = await Http.GetAccount(id);

        Assert.Equal((1L, "\"1\""), (Version(deposit), ETag(deposit)));
        Assert.Equal((2L, "\"2\""), (Version(withdraw), ETag(withdraw)));
        Assert.Equal((25L, 2L, "\"2\""), (read.Balance, Version(read), ETag(read)));
    }

    [Fact]
    public async Task Should_return_the_original_balance_and_version_not_applied_when_a_separate_request_repeats_the_key()
    {
        var id = NewId();
        var first = await Http.Deposit(id, 25, key: "once");
        await Http.Deposit(id, 5);
        var repeat = await Http.Deposit(id, 25, key: "once");

        Assert.True(first.Applied && Version(first) == 1, $"{id}: first {first}");
        Assert.True(!repeat.Applied && repeat.Balance == 25 && Version(repeat) == 1 && ETag(repeat) == "\"1\"", $"{id}: repeat {repeat}");
        Assert.Equal(30, (await Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_accept_the_minted_key_for_a_retry_when_the_client_sent_none()
    {
        var id = NewId();
        var first = await Http.Deposit(id, 9);
        var key = Assert.Single(first.Response.Headers.GetValues("Idempotency-Key"));
        Assert.Matches("^[A-Za-z0-9_-]{1,128}$", key); // the client's alphabet: it can be sent back
        var retry = await Http.Deposit(id, 9, key: key);
        Assert.True(retry.Status == HttpStatusCode.OK && !retry.Applied && retry.Balance == 9 && Version(retry) == 1, $"{id}: retry with {key}: {retry}");
    }

    [Fact]
    public async Task Should_name_problem_types_by_documented_relative_uris()
    {
        var answer = await Http.GetAccount(NewId());
        Assert.Equal("/problems/account-not-found", answer.ProblemType);
        var doc = File.ReadAllText(Path.Combine(Repo.Root, "docs", "api.md"));
        Assert.Contains("`/problems/account-not-found`", doc);
    }
}

/// <summary>Writes that may have been applied are answered 504 <c>outcome-unknown</c>, never 503: real node processes, real drains.</summary>
[Collection(nameof(RunsAlone))]
public sealed class OutcomeUnknownSpecs
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    private static void AssertUnknown(LedgerClient.Answer answer, string context, string? clientKey = null)
    {
        Assert.True(answer.Status == HttpStatusCode.GatewayTimeout && answer.ProblemType == "/problems/outcome-unknown", $"{context}: {answer}");
        var key = Assert.Single(answer.Response.Headers.GetValues("Idempotency-Key"));
        if (clientKey is not null) Assert.Equal(clientKey, key);
        Assert.Equal(key, answer.Body.GetProperty("idempotencyKey").GetString());
        Assert.True(answer.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"{context}: 504 without Retry-After: {answer.Response.Headers}");
        Assert.Contains(key, answer.Body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Should_answer_504_outcome_unknown_and_apply_a_retry_once_when_a_held_write_times_out_during_a_drain()
    {
        // Issue 13: a write held in its entity past the request timeout while the node drains was answered 503
        // cluster-degraded ("not processed"), yet it was applied. It is unknown: 504, with the key to retry with.
        var launch = Launch("unknown-drain", "200ms", "actor-service.http.request-timeout = 2s", "actor-service.drain.request-deadline = 20s",
            "akka.coordinated-shutdown.phases.service-requests-done.timeout = 23s"); // the timing rules: the phase outlasts its deadline
        const string account = "held-during-drain";
        LedgerClient.Answer answer;
        await using (var node = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            var held = node.Http.Deposit(account, 40, delayMs: 3000); // no client key: the node mints one
            await WaitInFlight(node, 1);
            Assert.Equal(HttpStatusCode.Accepted, (await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/drain"))).StatusCode);
            answer = await held;
            AssertUnknown(answer, "a write held past the request timeout during a drain");
            await node.WaitForExitAsync(ExitWithin);
        }

        // Retrying with the returned key, as the answer says, leaves exactly one deposit (applied before, or now).
        await using var again = await NodeProcess.StartReadyAsync(launch, "second");
        var key = answer.Response.Headers.GetValues("Idempotency-Key").Single();
        var retry = await again.Http.Deposit(account, 40, key: key);
        Assert.True(retry.Status == HttpStatusCode.OK && retry.Balance == 40, $"retry with {key}: {retry}");
        Assert.Equal(40, (await again.Http.GetAccount(account)).Balance);
    }
}
