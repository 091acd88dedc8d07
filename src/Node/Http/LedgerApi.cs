using System.Globalization;
using ActorService.Actors.Accounts;
using ActorService.Actors.Tracing;
using ActorService.Node.Config;
using ActorService.Node.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Node.Http;

/// <summary>
/// The ledger's HTTP contract (docs/api.md): every route in one place, and every answer one of the three kinds —
/// <em>applied</em> (200), <em>not applied</em> (4xx, or 503 + Retry-After when that is certain) or <em>unknown</em>
/// (504 <c>outcome-unknown</c> + Retry-After + the Idempotency-Key to retry with). A write is unknown as soon as its
/// command left for its account without an answer that settles it; a read never changes anything, so a read that
/// cannot be answered is a 503.
/// </summary>
internal static class LedgerApi
{
    public static IEndpointRouteBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/accounts/{id}/deposit", (string id, HttpContext http, AccountGateway gateway, NodeSettings settings, ILogger<AccountGateway> logger) =>
                WriteAsync(id, LedgerOperation.Deposit, http, gateway, settings, logger))
            .WithName("deposit").WithSummary("Add an amount to an account (creates it on its first write)")
            .DescribedAsWrite().ProducesProblems("balance-overflow");
        app.MapPost("/accounts/{id}/withdraw", (string id, HttpContext http, AccountGateway gateway, NodeSettings settings, ILogger<AccountGateway> logger) =>
                WriteAsync(id, LedgerOperation.Withdraw, http, gateway, settings, logger))
            .WithName("withdraw").WithSummary("Take an amount from an account; 409 when its balance is lower")
            .DescribedAsWrite().ProducesProblems("insufficient-funds");
        app.MapGet("/accounts/{id}", ReadAsync)
            .WithName("getAccount").WithSummary("Read an account's balance and version, as the database has it")
            .DescribedAsAccountRoute().Produces<BalanceResponse>(200).WithResponseHeaders(200, ApiHeader.ETag)
            .ProducesProblems("account-not-found", "cluster-degraded", "read-timeout");
        return app;
    }

    // The OpenAPI description (docs/api.md is the contract in words). Answers every ledger route can give: refused at the
    // gate or by the limiter, a bad id, the account unavailable, the drain's deadline, a bug.
    private static RouteHandlerBuilder DescribedAsAccountRoute(this RouteHandlerBuilder route) => route
        .OnPublicListener() // the clients' API: the management listener does not serve it
        .WithTags("ledger")
        .WithPathPattern("id", LedgerRequests.AccountIdOpenApiPattern, "The account: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.")
        .ProducesProblems("invalid-account-id", "draining", "membership-unconfirmed", "overloaded", "drain-deadline", "account-unavailable",
            "shard-unreachable", "internal-error");

    // A write: its body and key, a 200 that carries the key it was processed under, and every way a write can be refused
    // or left unknown (504 + the key to retry with).
    private static RouteHandlerBuilder DescribedAsWrite(this RouteHandlerBuilder route) => route
        .DescribedAsAccountRoute()
        .WithIdempotencyKey()
        .WithJsonBody<LedgerRequests.AmountBody>("Exactly one member, amount: an integer from 1 to 1,000,000,000. Sent as application/json.")
        .Produces<WriteResponse>(200).WithResponseHeaders(200, ApiHeader.ETag, ApiHeader.IdempotencyKey)
        .ProducesProblems("invalid-idempotency-key", "invalid-body", "invalid-amount", "body-too-slow", "body-too-large", "unsupported-media-type",
            "idempotency-key-reused", "account-failed", "outcome-unknown");

    public sealed record BalanceResponse(string Id, long Balance, long Version);

    public sealed record WriteResponse(string Id, long Balance, long Version, bool Applied);

    private static async Task<IResult> WriteAsync(
        string id, LedgerOperation operation, HttpContext http, AccountGateway gateway, NodeSettings settings, ILogger logger)
    {
        AccountCommands.ApplyWrite command;
        try
        {
            if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
            var (clientKey, badKey) = LedgerRequests.ReadIdempotencyKey(http.Request);
            if (badKey is not null) return badKey;
            var (amount, badBody) = await LedgerRequests.ReadAmountAsync(http.Request, settings.Http.MaxBodyBytes, http.RequestAborted);
            if (badBody is not null) return badBody;

            // Without a client key the node mints one, in the client's alphabet so the client can retry with it: the
            // gateway's re-sends carry it, and a write can never be applied twice. The request id is one per HTTP
            // request (a minted key already is), so the entity reports "applied" to the request that applied the write.
            var minted = clientKey is null ? "auto-" + Guid.NewGuid().ToString("N") : null;
            var key = clientKey ?? minted!;
            http.Response.Headers[LedgerRequests.IdempotencyKeyHeader] = key;
            command = new AccountCommands.ApplyWrite(id, operation, amount, key, RequestId: minted ?? Guid.NewGuid().ToString("N"),
                TraceRestore.Current, LedgerRequests.ReadTestDelay(http.Request, settings.AllowTestHooks));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The drain's request deadline (or the client leaving) cut the body short: the command never left, so
            // nothing was applied. Without this the cancellation escaped and Kestrel ended the request 499, no body.
            http.Response.Headers.Connection = "close";
            return RetryLater(http, settings, "drain-deadline", "Node is draining",
                "The node's drain deadline passed before the request's body arrived. Nothing was applied; retry, another node will answer.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug before the command left: nothing was applied.
            logger.LogError(e, "Reading the {Operation} request for account {AccountId} failed", operation, id);
            return InternalError("The node failed before the write reached its account. Nothing was applied.");
        }

        GatewayResult result;
        try
        {
            result = await gateway.SendAsync(command, http.RequestAborted);
        }
        catch (Exception e)
        {
            // The command may have reached its account: this is a bug in the node, but the answer must still be true.
            logger.LogError(e, "Waiting for the {Operation} on account {AccountId} failed", operation, id);
            return OutcomeUnknown(http, settings, command.IdempotencyKey, "The node failed while it waited for the account's answer.");
        }
        return WriteResult(result, http, settings, command.IdempotencyKey);
    }

    private static async Task<IResult> ReadAsync(string id, HttpContext http, AccountGateway gateway, NodeSettings settings)
    {
        if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
        // No traceparent: an entity writes no line about a read, and formatting the W3C id cost every read a string.
        return ReadResult(await gateway.SendAsync(new AccountCommands.GetBalance(id, TraceParent: null), http.RequestAborted), http, settings);
    }

    private static IResult WriteResult(GatewayResult result, HttpContext http, NodeSettings settings, string key) => result switch
    {
        GatewayResult.Reply { Message: WriteAccepted w } => Ok(http, w.Version, new WriteResponse(w.AccountId, w.Balance, w.Version, w.Applied)),
        GatewayResult.Reply { Message: InsufficientFunds f } =>
            Problems.Create(409, "insufficient-funds", "Insufficient funds",
                $"Account '{f.AccountId}' holds {f.Balance}, less than the {f.Requested} requested. Nothing was withdrawn.",
                new Dictionary<string, object?> { ["balance"] = f.Balance, ["version"] = f.Version }),
        GatewayResult.Reply { Message: BalanceOverflow o } =>
            Problems.Create(409, "balance-overflow", "Balance overflow",
                $"Depositing {o.Requested} would take account '{o.AccountId}' past the largest 64-bit balance. Nothing was deposited.",
                new Dictionary<string, object?> { ["balance"] = o.Balance, ["version"] = o.Version }),
        GatewayResult.Reply { Message: KeyReused k } =>
            Problems.Create(422, "idempotency-key-reused", "Idempotency-Key reused",
                $"Key '{k.IdempotencyKey}' was already used on account '{k.AccountId}' for a {k.OriginalOperation.ToString().ToLowerInvariant()} of {k.OriginalAmount}."),
        GatewayResult.Reply { Message: Unavailable u } => RetryLater(http, settings, "account-unavailable", "Account unavailable",
            $"Account '{u.AccountId}' could not take the write: {u.Reason}. Nothing was applied; retrying is safe."),
        GatewayResult.Reply { Message: Failed f } => RetryLater(http, settings, "account-failed", "Account failed",
            $"Account '{f.AccountId}' failed before committing this write and was restarted. Nothing was applied."),
        GatewayResult.TimedOut { ClusterDegraded: true } => OutcomeUnknown(http, settings, key,
            "The account's node did not answer in time while the cluster was changing."),
        GatewayResult.TimedOut => OutcomeUnknown(http, settings, key,
            $"The account did not answer within {settings.Http.RequestTimeout.TotalSeconds:0.#} s."),
        GatewayResult.Cancelled { MayHaveApplied: false } => RetryLater(http, settings, "drain-deadline", "Node is draining",
            "The node's drain deadline cancelled this request before it reached its account. Nothing was applied; retry, another node will answer."),
        GatewayResult.Cancelled => OutcomeUnknown(http, settings, key, "The node's drain deadline cancelled the wait for the account's answer."),
        GatewayResult.ShardStalled => ShardUnreachable(http, settings),
        // OutcomeUnknown never ends a request (the gateway asks again), nor does anything else: still the truth if it did.
        _ => OutcomeUnknown(http, settings, key, "The account's answer did not settle the write."),
    };

    private static IResult ReadResult(GatewayResult result, HttpContext http, NodeSettings settings) => result switch
    {
        GatewayResult.Reply { Message: Balance b } => Ok(http, b.Version, new BalanceResponse(b.AccountId, b.Value, b.Version)),
        GatewayResult.Reply { Message: AccountReplies.NotFound n } =>
            Problems.Create(404, "account-not-found", "Account not found", $"Account '{n.AccountId}' has never been written."),
        GatewayResult.Reply { Message: Unavailable u } => RetryLater(http, settings, "account-unavailable", "Account unavailable",
            $"Account '{u.AccountId}' could not be read: {u.Reason}. Retrying is safe."),
        GatewayResult.TimedOut { ClusterDegraded: true } => RetryLater(http, settings, "cluster-degraded", "Temporarily unavailable",
            "The account's node did not answer in time while the cluster was changing. Retrying is safe."),
        GatewayResult.TimedOut => RetryLater(http, settings, "read-timeout", "Read timed out",
            $"The account did not answer within {settings.Http.RequestTimeout.TotalSeconds:0.#} s. Retrying is safe."),
        GatewayResult.Cancelled => RetryLater(http, settings, "drain-deadline", "Node is draining",
            "The node's drain deadline cancelled this read. Retry, another node will answer."),
        GatewayResult.ShardStalled => ShardUnreachable(http, settings),
        _ => InternalError("Unexpected reply from the account."),
    };

    private static ProblemHttpResult InternalError(string detail) => Problems.Create(500, "internal-error", "Internal error", detail);

    /// <summary>200 with the account's version as the entity tag, so a client can tell which state it saw.</summary>
    private static Ok<T> Ok<T>(HttpContext http, long version, T body)
    {
        http.Response.Headers.ETag = QuotedVersion(version);
        return TypedResults.Ok(body);
    }

    /// <summary><c>"&lt;version&gt;"</c> in one allocation (every read pays for it).</summary>
    private static string QuotedVersion(long version)
    {
        Span<char> digits = stackalloc char[20];
        version.TryFormat(digits, out var length, provider: CultureInfo.InvariantCulture);
        return string.Create(length + 2, (version, length), static (span, state) =>
        {
            span[0] = span[^1] = '"';
            state.version.TryFormat(span[1..^1], out _, provider: CultureInfo.InvariantCulture);
        });
    }

    /// <summary>
    /// A write that may have been applied: 504 <c>outcome-unknown</c>, with the key (also in the Idempotency-Key header,
    /// set for every write) and Retry-After. Retrying with that key applies the write at most once and answers with its outcome.
    /// </summary>
    private static ProblemHttpResult OutcomeUnknown(HttpContext http, NodeSettings settings, string key, string why)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds(settings);
        return Problems.Create(504, "outcome-unknown", "Outcome unknown",
            $"{why} The write may or may not have been applied. Retrying it with Idempotency-Key '{key}' is safe: it is applied at most once, and the retry answers with its outcome.",
            new Dictionary<string, object?> { ["idempotencyKey"] = key });
    }

    private static ProblemHttpResult ShardUnreachable(HttpContext http, NodeSettings settings) => RetryLater(http, settings, "shard-unreachable",
        "Account temporarily unreachable", "The account's node is unreachable and the cluster is moving its accounts elsewhere. Nothing was processed; retrying is safe.");

    private static ProblemHttpResult RetryLater(HttpContext http, NodeSettings settings, string slug, string title, string detail)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds(settings);
        return Problems.Create(503, slug, title, detail);
    }

    private static string RetryAfterSeconds(NodeSettings settings) =>
        ((int)Math.Ceiling(settings.Drain.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
