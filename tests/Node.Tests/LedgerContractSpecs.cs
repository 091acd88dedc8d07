using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>Every row and every error of shared/API.md, against a real node over HTTP.</summary>
public sealed class LedgerContractSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private HttpClient Http => fixture.Node.Http;
    private static string NewId() => "acc-" + Guid.NewGuid().ToString("N")[..12];
    private const string ProblemPrefix = "https://actorservice.dev/problems/";

    [Fact]
    public async Task Should_create_and_credit_the_account_when_depositing()
    {
        var id = NewId();
        var first = await Http.Deposit(id, 130);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(id, first.Body.GetProperty("id").GetString());
        Assert.Equal(130, first.Balance);
        Assert.True(first.Applied);
        Assert.Equal(180, (await Http.Deposit(id, 50)).Balance);
    }

    [Fact]
    public async Task Should_return_id_and_balance_when_reading_an_account()
    {
        var id = NewId();
        await Http.Deposit(id, 42);
        var read = await Http.GetAccount(id);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal($"{{\"id\":\"{id}\",\"balance\":42}}", read.Body.GetRawText());
    }

    [Fact]
    public async Task Should_debit_when_withdrawing_within_the_balance()
    {
        var id = NewId();
        await Http.Deposit(id, 100);
        var w = await Http.Withdraw(id, 30);
        Assert.Equal((HttpStatusCode.OK, 70L, true), (w.Status, w.Balance, w.Applied));
    }

    [Fact]
    public async Task Should_answer_409_and_change_nothing_when_withdrawing_more_than_the_balance()
    {
        var id = NewId();
        await Http.Deposit(id, 10);
        var w = await Http.Withdraw(id, 11);
        AssertProblem(w, HttpStatusCode.Conflict, "insufficient-funds");
        Assert.Equal(10, (await Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_answer_404_when_the_account_was_never_written()
    {
        AssertProblem(await Http.GetAccount(NewId()), HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task Should_apply_once_and_replay_the_original_outcome_when_the_idempotency_key_repeats()
    {
        var id = NewId();
        var first = await Http.Deposit(id, 25, key: "key-1");
        await Http.Deposit(id, 5);
        var repeat = await Http.Deposit(id, 25, key: "key-1");
        Assert.Equal((HttpStatusCode.OK, 25L, true), (first.Status, first.Balance, first.Applied));
        Assert.Equal((HttpStatusCode.OK, 25L, false), (repeat.Status, repeat.Balance, repeat.Applied));
        Assert.Equal(30, (await Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_answer_422_when_the_idempotency_key_is_reused_for_another_request()
    {
        var id = NewId();
        await Http.Deposit(id, 25, key: "key-2");
        AssertProblem(await Http.Deposit(id, 26, key: "key-2"), (HttpStatusCode)422, "idempotency-key-reused");
        AssertProblem(await Http.Withdraw(id, 25, key: "key-2"), (HttpStatusCode)422, "idempotency-key-reused");
        Assert.Equal(25, (await Http.GetAccount(id)).Balance);
    }

    [Fact]
    public async Task Should_scope_idempotency_keys_to_one_account()
    {
        var (a, b) = (NewId(), NewId());
        await Http.Deposit(a, 1, key: "shared");
        var onB = await Http.Deposit(b, 2, key: "shared");
        Assert.Equal((HttpStatusCode.OK, true), (onB.Status, onB.Applied));
    }

    [Fact]
    public async Task Should_echo_the_idempotency_key_it_used_when_the_client_sent_none()
    {
        var answer = await Http.Deposit(NewId(), 1);
        var key = Assert.Single(answer.Response.Headers.GetValues("Idempotency-Key"));
        Assert.StartsWith("~", key);
    }

    public static TheoryData<string, string, string?, string, int, string> BadRequests => new()
    {
        // name, path, content-type, body, status, problem type
        { "id with a bad character", "accounts/bad!id/deposit", "application/json", """{"amount":1}""", 400, "invalid-account-id" },
        { "id longer than 64", $"accounts/{new string('a', 65)}/deposit", "application/json", """{"amount":1}""", 400, "invalid-account-id" },
        { "amount zero", "accounts/{id}/deposit", "application/json", """{"amount":0}""", 400, "invalid-amount" },
        { "amount negative", "accounts/{id}/deposit", "application/json", """{"amount":-5}""", 400, "invalid-amount" },
        { "amount fractional", "accounts/{id}/deposit", "application/json", """{"amount":1.5}""", 400, "invalid-amount" },
        { "amount over the limit", "accounts/{id}/deposit", "application/json", """{"amount":1000000001}""", 400, "invalid-amount" },
        { "amount beyond 64 bits", "accounts/{id}/deposit", "application/json", """{"amount":92233720368547758070}""", 400, "invalid-amount" },
        { "amount as a string", "accounts/{id}/deposit", "application/json", """{"amount":"5"}""", 400, "invalid-amount" },
        { "missing amount", "accounts/{id}/withdraw", "application/json", """{}""", 400, "invalid-body" },
        { "extra field", "accounts/{id}/deposit", "application/json", """{"amount":5,"note":"x"}""", 400, "invalid-body" },
        { "duplicate amount", "accounts/{id}/deposit", "application/json", """{"amount":5,"amount":6}""", 400, "invalid-body" },
        { "not JSON", "accounts/{id}/deposit", "application/json", "amount=5", 400, "invalid-body" },
        { "truncated JSON", "accounts/{id}/deposit", "application/json", """{"amount":5""", 400, "invalid-body" },
        { "array body", "accounts/{id}/deposit", "application/json", """[5]""", 400, "invalid-body" },
        { "amount nested deeply", "accounts/{id}/deposit", "application/json", """{"amount":{"a":{"b":{"c":1}}}}""", 400, "invalid-amount" },
        { "deeply nested arrays", "accounts/{id}/deposit", "application/json", new string('[', 500) + new string(']', 500), 400, "invalid-body" },
        { "wrong content type", "accounts/{id}/deposit", "text/plain", """{"amount":5}""", 415, "unsupported-media-type" },
        { "no content type", "accounts/{id}/deposit", null, """{"amount":5}""", 415, "unsupported-media-type" },
        { "body over the limit", "accounts/{id}/deposit", "application/json", "{\"amount\":5" + new string(' ', 5000) + "}", 413, "body-too-large" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Should_reject_with_a_problem_and_change_nothing_when_the_request_is_malformed(
        string name, string path, string? contentType, string body, int status, string problem)
    {
        var id = NewId();
        await Http.Deposit(id, 7);
        using var request = new HttpRequestMessage(HttpMethod.Post, path.Replace("{id}", id)) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        var answer = await LedgerClient.Send(Http, request);
        Assert.True((int)answer.Status == status, $"{name}: expected {status}, got {answer}");
        AssertProblem(answer, (HttpStatusCode)status, problem);
        Assert.Equal(7, (await Http.GetAccount(id)).Balance);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    public async Task Should_answer_400_when_the_idempotency_key_is_malformed(string key)
    {
        var id = NewId();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{id}/deposit")
        {
            Content = new StringContent("""{"amount":5}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        AssertProblem(await LedgerClient.Send(Http, request), HttpStatusCode.BadRequest, "invalid-idempotency-key");
        AssertProblem(await Http.GetAccount(id), HttpStatusCode.NotFound, "account-not-found");
    }

    [Fact]
    public async Task Should_answer_400_when_the_idempotency_key_is_longer_than_128()
    {
        AssertProblem(await Http.Deposit(NewId(), 5, key: new string('k', 129)), HttpStatusCode.BadRequest, "invalid-idempotency-key");
    }

    [Fact]
    public async Task Should_answer_problem_json_404_and_405_for_unknown_routes_and_methods()
    {
        var unknown = await LedgerClient.Send(Http, new HttpRequestMessage(HttpMethod.Get, "no/such/route"));
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (unknown.Status, unknown.ContentType));
        var wrongMethod = await LedgerClient.Send(Http, new HttpRequestMessage(HttpMethod.Delete, $"accounts/{NewId()}"));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "application/problem+json"), (wrongMethod.Status, wrongMethod.ContentType));
    }

    [Fact]
    public async Task Should_report_live_and_ready_when_serving()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("health/ready")).StatusCode);
    }

    [Fact]
    public async Task Should_keep_balances_exact_when_many_clients_write_one_account_at_once()
    {
        var id = NewId();
        var writes = Enumerable.Range(1, 50).Select(i => Http.Deposit(id, i, key: $"c{i}")).ToList();
        var answers = await Task.WhenAll(writes);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(50 * 51 / 2, (await Http.GetAccount(id)).Balance);
    }

    private static void AssertProblem(LedgerClient.Answer answer, HttpStatusCode status, string type)
    {
        Assert.True(answer.Status == status, $"expected {(int)status}, got {answer}");
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(ProblemPrefix + type, answer.ProblemType);
        Assert.Equal((int)status, answer.Body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(answer.Body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(answer.Body.GetProperty("detail").GetString()));
        Assert.DoesNotContain("   at ", answer.Body.GetRawText()); // no stack trace, ever
    }
}
