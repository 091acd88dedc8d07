using ActorService.Actors.Accounts;
using ActorService.Actors.Tracing;
using ActorService.Node.Config;
using Microsoft.AspNetCore.Http.HttpResults;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Node.Http;

/// <summary>The ledger's HTTP contract (shared/API.md): every route in one place.</summary>
internal static class LedgerApi
{
    public static IEndpointRouteBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/accounts/{id}/deposit", (string id, HttpContext http, AccountGateway gateway, NodeSettings settings) =>
            WriteAsync(id, LedgerOperation.Deposit, http, gateway, settings));
        app.MapPost("/accounts/{id}/withdraw", (string id, HttpContext http, AccountGateway gateway, NodeSettings settings) =>
            WriteAsync(id, LedgerOperation.Withdraw, http, gateway, settings));
        app.MapGet("/accounts/{id}", ReadAsync);
        return app;
    }

    public sealed record BalanceResponse(string Id, long Balance);

    public sealed record WriteResponse(string Id, long Balance, bool Applied);

    private static async Task<IResult> WriteAsync(string id, LedgerOperation operation, HttpContext http, AccountGateway gateway, NodeSettings settings)
    {
        if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
        var (clientKey, badKey) = LedgerRequests.ReadIdempotencyKey(http.Request);
        if (badKey is not null) return badKey;
        var ct = http.RequestAborted;
        var (amount, badBody) = await LedgerRequests.ReadAmountAsync(http.Request, settings.Http.MaxBodyBytes, ct);
        if (badBody is not null) return badBody;

        // Without a client key the node mints one ('~' is outside the client alphabet, so they never collide):
        // the gateway's retries then carry it, and a write can never be applied twice.
        var key = clientKey ?? "~" + Guid.NewGuid().ToString("N");
        http.Response.Headers[LedgerRequests.IdempotencyKeyHeader] = key;
        var command = new AccountCommands.ApplyWrite(id, operation, amount, key, KeyMinted: clientKey is null,
            TraceRestore.Current, LedgerRequests.ReadTestDelay(http.Request, settings.AllowTestHooks));
        return ToResult(await gateway.SendAsync(command, ct), http, settings);
    }

    private static async Task<IResult> ReadAsync(string id, HttpContext http, AccountGateway gateway, NodeSettings settings)
    {
        if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
        // No traceparent: an entity writes no line about a read, and formatting the W3C id cost every read a string.
        return ToResult(await gateway.SendAsync(new AccountCommands.GetBalance(id, TraceParent: null), http.RequestAborted), http, settings);
    }

    private static IResult ToResult(GatewayResult result, HttpContext http, NodeSettings settings) => result switch
    {
        GatewayResult.Reply { Message: WriteAccepted w } => TypedResults.Ok(new WriteResponse(w.AccountId, w.Balance, w.Applied)),
        GatewayResult.Reply { Message: Balance b } => TypedResults.Ok(new BalanceResponse(b.AccountId, b.Value)),
        GatewayResult.Reply { Message: AccountReplies.NotFound n } =>
            Problems.Create(404, "account-not-found", "Account not found", $"Account '{n.AccountId}' has never been written."),
        GatewayResult.Reply { Message: InsufficientFunds f } =>
            Problems.Create(409, "insufficient-funds", "Insufficient funds",
                $"Account '{f.AccountId}' holds {f.Balance}, less than the {f.Requested} requested. Nothing was withdrawn.",
                new Dictionary<string, object?> { ["balance"] = f.Balance }),
        GatewayResult.Reply { Message: BalanceOverflow o } =>
            Problems.Create(409, "balance-overflow", "Balance overflow",
                $"Depositing {o.Requested} would take account '{o.AccountId}' past the largest 64-bit balance. Nothing was deposited."),
        GatewayResult.Reply { Message: KeyReused k } =>
            Problems.Create(422, "idempotency-key-reused", "Idempotency-Key reused",
                $"Key '{k.IdempotencyKey}' was already used on account '{k.AccountId}' for a {k.OriginalOperation.ToString().ToLowerInvariant()} of {k.OriginalAmount}."),
        GatewayResult.Reply { Message: Unavailable u } => RetryLater(http, settings, "account-unavailable", "Account unavailable",
            $"Account '{u.AccountId}' could not be reached: {u.Reason}. Retrying with the same Idempotency-Key is safe."),
        GatewayResult.Reply { Message: Failed } =>
            Problems.Create(500, "internal-error", "Internal error", "The account failed while handling this request and was restarted; its state is reloaded from the database."),
        GatewayResult.TimedOut { ClusterDegraded: true } => RetryLater(http, settings, "cluster-degraded", "Temporarily unavailable",
            "The account's node did not answer in time while the cluster is changing. Retrying with the same Idempotency-Key is safe."),
        GatewayResult.TimedOut => Problems.Create(504, "timeout", "Timed out",
            $"The account did not answer within {settings.Http.RequestTimeout.TotalSeconds:0.#} s. Retrying with the same Idempotency-Key is safe."),
        GatewayResult.Cancelled => RetryLater(http, settings, "drain-deadline", "Node is draining",
            "The node's drain deadline cancelled this request. Retrying with the same Idempotency-Key is safe."),
        _ => Problems.Create(500, "internal-error", "Internal error", "Unexpected reply from the account."),
    };

    private static ProblemHttpResult RetryLater(HttpContext http, NodeSettings settings, string slug, string title, string detail)
    {
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(settings.Drain.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(503, slug, title, detail);
    }
}
