using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>Every row and every error of docs/api.md, against a real node over HTTP, on each storage backend.</summary>
public abstract class LedgerContractSpecs(SingleNodeFixture fixture)
{
    private HttpClient Http => fixture.Node.Http;
    private static string NewId() => "acc-" + Guid.NewGuid().ToString("N")[..12];
    private const string ProblemPrefix = "/problems/";

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
        Assert.Equal($"{{\"id\":\"{id}\",\"balance\":42,\"version\":1}}", read.Body.GetRawText());
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
        Assert.StartsWith("auto-", key);
    }

    private const string Json = "application/json";
    private const string Deposit = "accounts/{id}/deposit";

    /// <summary>
    /// Every kind of bad input the API must refuse (issue 7). Each row seeds its own account with 7, sends one request,
    /// and expects the status and problem type, a problem+json body without a stack trace, and the balance still 7.
    /// </summary>
    public static TheoryData<string, string, string, string?, string?, string, int, string> BadRequests => new()
    {
        // name, method, path, extra header ("Name: value"), content type, body, status, problem type
        // -- account ids
        { "id with a bad character", "POST", "accounts/bad!id/deposit", null, Json, """{"amount":1}""", 400, "invalid-account-id" },
        { "id longer than 64", "POST", $"accounts/{new string('a', 65)}/deposit", null, Json, """{"amount":1}""", 400, "invalid-account-id" },
        { "id longer than 64 on a read", "GET", $"accounts/{new string('a', 65)}", null, null, "", 400, "invalid-account-id" },
        { "id with non-ASCII letters", "POST", "accounts/%C3%A9t%C3%A9/deposit", null, Json, """{"amount":1}""", 400, "invalid-account-id" },
        { "id ending in an encoded newline", "POST", "accounts/alice%0A/deposit", null, Json, """{"amount":1}""", 400, "invalid-account-id" },
        { "id ending in an encoded newline on a read", "GET", "accounts/alice%0A", null, null, "", 400, "invalid-account-id" },
        { "id with an encoded slash", "POST", "accounts/a%2Fb/deposit", null, Json, """{"amount":1}""", 400, "invalid-account-id" },
        { "id that is an encoded dot-dot (normalised away)", "GET", "accounts/%2E%2E", null, null, "", 404, "route-not-found" },
        // -- idempotency keys
        { "key with a space", "POST", Deposit, "Idempotency-Key: has space", Json, """{"amount":1}""", 400, "invalid-idempotency-key" },
        { "empty key", "POST", Deposit, "Idempotency-Key: ", Json, """{"amount":1}""", 400, "invalid-idempotency-key" },
        { "key longer than 128", "POST", Deposit, "Idempotency-Key: " + new string('k', 129), Json, """{"amount":1}""", 400, "invalid-idempotency-key" },
        { "a list of keys", "POST", Deposit, "Idempotency-Key: k1, k2", Json, """{"amount":1}""", 400, "invalid-idempotency-key" },
        // -- content type
        { "wrong content type", "POST", Deposit, null, "text/plain", """{"amount":5}""", 415, "unsupported-media-type" },
        { "form content type", "POST", Deposit, null, "application/x-www-form-urlencoded", "amount=5", 415, "unsupported-media-type" },
        { "no content type", "POST", Deposit, null, null, """{"amount":5}""", 415, "unsupported-media-type" },
        // -- not JSON, or not the one object
        { "not JSON", "POST", Deposit, null, Json, "amount=5", 400, "invalid-body" },
        { "empty body", "POST", Deposit, null, Json, "", 400, "invalid-body" },
        { "JSON null", "POST", Deposit, null, Json, "null", 400, "invalid-body" },
        { "bare number", "POST", Deposit, null, Json, "5", 400, "invalid-body" },
        { "array body", "POST", Deposit, null, Json, "[5]", 400, "invalid-body" },
        { "truncated JSON", "POST", Deposit, null, Json, """{"amount":5""", 400, "invalid-body" },
        { "single quotes", "POST", Deposit, null, Json, "{'amount':5}", 400, "invalid-body" },
        { "trailing comma", "POST", Deposit, null, Json, """{"amount":5,}""", 400, "invalid-body" },
        { "comment", "POST", Deposit, null, Json, """{"amount":5 /* please */}""", 400, "invalid-body" },
        { "two objects", "POST", Deposit, null, Json, """{"amount":5}{"amount":6}""", 400, "invalid-body" },
        // -- extra, missing, duplicate fields
        { "missing amount", "POST", "accounts/{id}/withdraw", null, Json, "{}", 400, "invalid-body" },
        { "extra field", "POST", Deposit, null, Json, """{"amount":5,"note":"x"}""", 400, "invalid-body" },
        { "field name in another case", "POST", Deposit, null, Json, """{"Amount":5}""", 400, "invalid-body" },
        { "duplicate amount", "POST", Deposit, null, Json, """{"amount":5,"amount":6}""", 400, "invalid-body" },
        { "duplicate amount spelled with an escape", "POST", Deposit, null, Json, """{"amount":5,"\u0061mount":6}""", 400, "invalid-body" },
        // -- mistyped amounts
        { "amount as a string", "POST", Deposit, null, Json, """{"amount":"5"}""", 400, "invalid-amount" },
        { "amount true", "POST", Deposit, null, Json, """{"amount":true}""", 400, "invalid-amount" },
        { "amount null", "POST", Deposit, null, Json, """{"amount":null}""", 400, "invalid-amount" },
        { "amount in an array", "POST", Deposit, null, Json, """{"amount":[5]}""", 400, "invalid-amount" },
        { "amount nested deeply", "POST", Deposit, null, Json, """{"amount":{"a":{"b":{"c":1}}}}""", 400, "invalid-amount" },
        // -- amounts out of range
        { "amount zero", "POST", Deposit, null, Json, """{"amount":0}""", 400, "invalid-amount" },
        { "amount minus zero", "POST", "accounts/{id}/withdraw", null, Json, """{"amount":-0}""", 400, "invalid-amount" },
        { "amount negative", "POST", Deposit, null, Json, """{"amount":-5}""", 400, "invalid-amount" },
        { "negative withdrawal", "POST", "accounts/{id}/withdraw", null, Json, """{"amount":-5}""", 400, "invalid-amount" },
        { "amount fractional", "POST", Deposit, null, Json, """{"amount":1.5}""", 400, "invalid-amount" },
        { "amount whole but written with a fraction", "POST", Deposit, null, Json, """{"amount":5.0}""", 400, "invalid-amount" },
        { "amount with an exponent", "POST", Deposit, null, Json, """{"amount":1e3}""", 400, "invalid-amount" },
        { "amount over the limit", "POST", Deposit, null, Json, """{"amount":1000000001}""", 400, "invalid-amount" },
        { "amount the largest 64-bit number", "POST", Deposit, null, Json, """{"amount":9223372036854775807}""", 400, "invalid-amount" },
        { "amount beyond 64 bits", "POST", Deposit, null, Json, """{"amount":92233720368547758070}""", 400, "invalid-amount" },
        { "amount beyond 64 bits negative", "POST", "accounts/{id}/withdraw", null, Json, """{"amount":-92233720368547758070}""", 400, "invalid-amount" },
        // -- nesting and size
        { "deeply nested arrays", "POST", Deposit, null, Json, new string('[', 500) + new string(']', 500), 400, "invalid-body" },
        { "deeply nested objects", "POST", Deposit, null, Json, string.Concat(Enumerable.Repeat("{\"amount\":", 300)) + "1" + new string('}', 300), 400, "invalid-amount" },
        { "body over the limit", "POST", Deposit, null, Json, "{\"amount\":5" + new string(' ', 5000) + "}", 413, "body-too-large" },
        // -- routes and methods
        { "unknown route", "GET", "no/such/route", null, null, "", 404, "route-not-found" },
        { "unknown operation", "POST", "accounts/{id}/transfer", null, Json, """{"amount":5}""", 404, "route-not-found" },
        { "empty id", "POST", "accounts//deposit", null, Json, """{"amount":5}""", 404, "route-not-found" },
        { "DELETE an account", "DELETE", "accounts/{id}", null, null, "", 405, "method-not-allowed" },
        { "PUT a deposit", "PUT", Deposit, null, Json, """{"amount":5}""", 405, "method-not-allowed" },
        { "GET a withdrawal", "GET", "accounts/{id}/withdraw", null, null, "", 405, "method-not-allowed" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Should_reject_with_a_problem_and_change_nothing_when_the_request_is_malformed(
        string name, string method, string path, string? header, string? contentType, string body, int status, string problem)
    {
        var id = NewId();
        await Http.Deposit(id, 7);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id));
        if (body.Length > 0 || contentType is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        }
        if (header?.Split(':', 2) is [var headerName, var headerValue])
            request.Headers.TryAddWithoutValidation(headerName, headerValue.Trim());
        var answer = await LedgerClient.Send(Http, request);
        Assert.True((int)answer.Status == status, $"{name}: expected {status}, got {answer}");
        AssertProblem(answer, (HttpStatusCode)status, problem);
        var after = await Http.GetAccount(id);
        Assert.True(after.Status == HttpStatusCode.OK && after.Balance == 7, $"{name}: account {id} must still hold 7, got {after}");
    }

    [Fact]
    public async Task Should_answer_413_and_change_nothing_when_a_chunked_body_exceeds_the_limit()
    {
        // No Content-Length: the limit can only be enforced while reading, by Kestrel's MaxRequestBodySize.
        var id = NewId();
        await Http.Deposit(id, 7);
        var bytes = Encoding.UTF8.GetBytes("{\"amount\":5" + new string(' ', 20_000) + "}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{id}/deposit") { Content = new StreamContent(new UnseekableStream(bytes)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(Json);
        request.Headers.TransferEncodingChunked = true;
        AssertProblem(await LedgerClient.Send(Http, request), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(7, (await Http.GetAccount(id)).Balance);
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

    [Theory]
    [InlineData("field name")]
    [InlineData("amount string")]
    public async Task Should_answer_400_and_change_nothing_when_the_body_is_not_valid_utf8(string where)
    {
        // Found by the fuzzer: a field name that is not UTF-8 once made the reader throw past its catch (a 500).
        var id = NewId();
        await Http.Deposit(id, 7);
        byte[] body = where == "field name" ? [.. "{\""u8, 0xC3, 0x28, .. "amount\":5}"u8] : [.. "{\"amount\":\""u8, 0xFF, .. "\"}"u8];
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{id}/deposit") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(Json);
        var answer = await LedgerClient.Send(Http, request);
        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{where}: expected 400, got {answer}");
        Assert.Equal(7, (await Http.GetAccount(id)).Balance);
    }

    /// <summary>A body of unknown length, so HttpClient must send it chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>The contract on the embedded default (SQLite, in-process cache, JSON-lines events).</summary>
public sealed class SqliteLedgerContractSpecs(SingleNodeFixture fixture) : LedgerContractSpecs(fixture), IClassFixture<SingleNodeFixture>;

/// <summary>The contract on PostgreSQL with the Redis cache and the Redis Streams sink.</summary>
public sealed class PostgresLedgerContractSpecs(PostgresRedisNodeFixture fixture) : LedgerContractSpecs(fixture), IClassFixture<PostgresRedisNodeFixture>;
