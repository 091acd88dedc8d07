using ActorService.Node.Http;

namespace ActorService.Node.OpenApi;

/// <summary>When an answer carries the <c>Idempotency-Key</c> response header (docs/api.md, problem table's last column).</summary>
internal enum KeyHeader
{
    Never,
    Always,
    /// <summary>On a write's answer only (the key the write was processed under); a read has no key.</summary>
    OnWrites,
}

/// <summary>
/// One problem type as the OpenAPI document describes it: its <c>type</c> (<c>/problems/&lt;slug&gt;</c>), status, title,
/// the headers that come with it and the extension members of its body.
/// </summary>
internal sealed record ProblemType(string Slug, int Status, string Title, bool RetryAfter = false, KeyHeader IdempotencyKey = KeyHeader.Never,
    string[]? Extensions = null)
{
    public string Type => Problems.TypePrefix + Slug;
    public IReadOnlyList<string> ExtensionMembers => Extensions ?? [];
}

/// <summary>
/// Every problem type a described route can answer, one line each, in the order of docs/api.md's problem table (which
/// says when each happens). Routes name the slugs they answer with <see cref="EndpointDescriptions.ProducesProblems{TBuilder}"/>;
/// tests/Node.Tests/OpenApiDocumentSpecs checks the served document against that table both ways, and ProblemCatalogSpecs
/// checks this list against the types src/Node sends. Only the test hooks' <c>shutting-down</c> is missing: those routes
/// are not described.
/// </summary>
internal static class ProblemCatalog
{
    private static readonly string[] Refused = ["balance", "version"];

    public static readonly IReadOnlyList<ProblemType> All =
    [
        new("invalid-account-id", 400, "Invalid account id"),
        new("invalid-idempotency-key", 400, "Invalid Idempotency-Key"),
        new("invalid-body", 400, "Invalid body"),
        new("invalid-amount", 400, "Invalid amount"),
        new("body-too-slow", 408, "Body too slow"),
        new("body-too-large", 413, "Body too large"),
        new("unsupported-media-type", 415, "Unsupported media type"),
        new("account-not-found", 404, "Account not found"),
        new("route-not-found", 404, "Not found"),
        new("method-not-allowed", 405, "Method not allowed"),
        new("insufficient-funds", 409, "Insufficient funds", IdempotencyKey: KeyHeader.Always, Extensions: Refused),
        new("balance-overflow", 409, "Balance overflow", IdempotencyKey: KeyHeader.Always, Extensions: Refused),
        new("idempotency-key-reused", 422, "Idempotency-Key reused", IdempotencyKey: KeyHeader.Always),
        new("draining", 503, "Node is draining", RetryAfter: true),
        new("membership-unconfirmed", 503, "Membership not confirmed", RetryAfter: true),
        new("overloaded", 503, "Node overloaded", RetryAfter: true),
        new("drain-deadline", 503, "Node is draining", RetryAfter: true),
        new("account-unavailable", 503, "Account unavailable", RetryAfter: true, IdempotencyKey: KeyHeader.OnWrites),
        new("account-failed", 503, "Account failed", RetryAfter: true, IdempotencyKey: KeyHeader.Always),
        new("shard-unreachable", 503, "Account temporarily unreachable", RetryAfter: true, IdempotencyKey: KeyHeader.OnWrites),
        new("cluster-degraded", 503, "Temporarily unavailable", RetryAfter: true),
        new("read-timeout", 503, "Read timed out", RetryAfter: true),
        new("outcome-unknown", 504, "Outcome unknown", RetryAfter: true, IdempotencyKey: KeyHeader.Always, Extensions: ["idempotencyKey"]),
        new("internal-error", 500, "Internal error"),
        new("unauthorized", 401, "Unauthorized"),
        new("forbidden", 403, "Forbidden"),
        new("admin-disabled", 403, "Admin endpoints disabled"),
        new("invalid-address", 400, "Invalid member address"),
        new("member-not-found", 404, "Not a member"),
    ];

    private static readonly Dictionary<string, ProblemType> BySlug = All.ToDictionary(p => p.Slug);

    /// <summary>The type named <paramref name="slug"/>; an unknown slug is a bug in a route's description and stops the node at start.</summary>
    public static ProblemType Get(string slug) =>
        BySlug.TryGetValue(slug, out var type) ? type : throw new ArgumentException($"'{slug}' is not in {nameof(ProblemCatalog)} (docs/api.md's problem table)", nameof(slug));
}
