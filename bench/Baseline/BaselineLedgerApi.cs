using ActorService.Actors.Accounts;
using ActorService.Node.Http;

namespace ActorService.Bench.Baseline;

/// <summary>
/// The node's ledger routes with the same validation (the node's <see cref="LedgerRequests"/>, compiled in), the same
/// response shapes and the same Idempotency-Key rules, answered straight from <see cref="MemoryLedger"/>.
/// </summary>
internal static class BaselineLedgerApi
{
    public sealed record BalanceResponse(string Id, long Balance);

    public sealed record WriteResponse(string Id, long Balance, bool Applied);

    private const int MaxBodyBytes = 4096; // the node's actor-service.http.max-body-bytes

    public static IEndpointRouteBuilder MapBaselineLedgerApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/accounts/{id}/deposit", (string id, HttpContext http, MemoryLedger ledger) => WriteAsync(id, LedgerOperation.Deposit, http, ledger));
        app.MapPost("/accounts/{id}/withdraw", (string id, HttpContext http, MemoryLedger ledger) => WriteAsync(id, LedgerOperation.Withdraw, http, ledger));
        app.MapGet("/accounts/{id}", IResult (string id, MemoryLedger ledger) =>
        {
            if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
            return ledger.TryGetBalance(id, out var balance)
                ? TypedResults.Ok(new BalanceResponse(id, balance))
                : Problems.Create(404, "account-not-found", "Account not found", $"Account '{id}' has never been written.");
        });
        return app;
    }

    private static async Task<IResult> WriteAsync(string id, LedgerOperation operation, HttpContext http, MemoryLedger ledger)
    {
        if (LedgerRequests.ValidateAccountId(id) is { } badId) return badId;
        var (clientKey, badKey) = LedgerRequests.ReadIdempotencyKey(http.Request);
        if (badKey is not null) return badKey;
        var (amount, badBody) = await LedgerRequests.ReadAmountAsync(http.Request, MaxBodyBytes, http.RequestAborted);
        if (badBody is not null) return badBody;

        var key = clientKey ?? "~" + Guid.NewGuid().ToString("N");
        http.Response.Headers[LedgerRequests.IdempotencyKeyHeader] = key;
        return ledger.Apply(id, operation, amount, key) switch
        {
            MemoryLedger.Outcome.Applied a => TypedResults.Ok(new WriteResponse(id, a.Balance, true)),
            MemoryLedger.Outcome.Repeat r => TypedResults.Ok(new WriteResponse(id, r.Balance, clientKey is null)),
            MemoryLedger.Outcome.KeyReused k => Problems.Create(422, "idempotency-key-reused", "Idempotency-Key reused",
                $"Key '{key}' was already used on account '{id}' for a {k.Operation.ToString().ToLowerInvariant()} of {k.Amount}."),
            MemoryLedger.Outcome.Insufficient i => Problems.Create(409, "insufficient-funds", "Insufficient funds",
                $"Account '{id}' holds {i.Balance}, less than the {amount} requested. Nothing was withdrawn.",
                new Dictionary<string, object?> { ["balance"] = i.Balance }),
            _ => Problems.Create(409, "balance-overflow", "Balance overflow",
                $"Depositing {amount} would take account '{id}' past the largest 64-bit balance. Nothing was deposited."),
        };
    }
}
