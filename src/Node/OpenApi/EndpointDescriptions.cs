using ActorService.Node.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace ActorService.Node.OpenApi;

/// <summary>
/// The words a route file uses to describe its routes for the OpenAPI document, next to the route (as
/// <c>WithName</c>, <c>WithSummary</c> and <c>Produces</c> are). Each adds endpoint metadata only, read when the document
/// is generated: nothing here takes part in routing or runs on a request. <see cref="OperationDescriber"/> turns the
/// metadata into the operation's parameters, body, headers and problem types.
/// </summary>
internal static class EndpointDescriptions
{
    public const string ProblemContentType = "application/problem+json";

    /// <summary>
    /// The problem types (slugs of <see cref="ProblemCatalog"/>) this route can answer: one response per status, of
    /// <c>application/problem+json</c>, whose <c>type</c> lists exactly those types, with their headers.
    /// </summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params string[] slugs) where TBuilder : IEndpointConventionBuilder
    {
        var types = slugs.Select(ProblemCatalog.Get).ToArray();
        builder.WithMetadata(new ProblemTypesMetadata(types));
        foreach (var status in types.Select(t => t.Status).Distinct())
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemContentType]));
        return builder;
    }

    /// <summary>Headers that come with the route's <paramref name="status"/> answer (problem answers get theirs from their types).</summary>
    public static TBuilder WithResponseHeaders<TBuilder>(this TBuilder builder, int status, params ApiHeader[] headers) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeadersMetadata(status, headers));

    /// <summary>
    /// The request body, described by <typeparamref name="TBody"/>'s schema. For routes that read their body themselves
    /// (strictly, by hand): unlike <c>Accepts&lt;T&gt;</c>, it adds no content-type matching to routing, so the route's own
    /// 415 and 400 answers stay what they are.
    /// </summary>
    public static RouteHandlerBuilder WithJsonBody<TBody>(this RouteHandlerBuilder builder, string description) =>
        builder.WithMetadata(new JsonBodyMetadata(typeof(TBody), description));

    /// <summary>A write that takes an optional <c>Idempotency-Key</c> request header (and answers with the key it used).</summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(IdempotentWriteMetadata.Instance);

    /// <summary>The pattern a path parameter must match; checked by the route itself (its 400), not by a route constraint (a 404).</summary>
    public static TBuilder WithPathPattern<TBuilder>(this TBuilder builder, string parameter, string pattern, string description) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PathPatternMetadata(parameter, pattern, description));

    /// <summary>The route needs <c>Authorization: Bearer &lt;admin token&gt;</c> (the document's <c>adminToken</c> security scheme).</summary>
    public static TBuilder RequiresAdminToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(AdminTokenMetadata.Instance);
}

/// <summary>A response header the document names: <c>Idempotency-Key</c>, <c>Retry-After</c>, <c>ETag</c>.</summary>
internal sealed record ApiHeader(string Name, string Description, string? Pattern = null, bool IsInteger = false)
{
    public static readonly ApiHeader ETag = new("ETag", "The account's version as a strong entity tag: \"<version>\".", Pattern: "^\"[1-9][0-9]*\"$");

    public static readonly ApiHeader IdempotencyKey = new("Idempotency-Key",
        "The key the write was processed under: the client's, or the one the node minted (auto- and 32 hex digits). Retrying with it is safe.",
        Pattern: LedgerRequests.IdempotencyKeyOpenApiPattern);

    public static readonly ApiHeader RetryAfter = new("Retry-After", "Seconds to wait before retrying.", IsInteger: true);
}

internal sealed record ProblemTypesMetadata(IReadOnlyList<ProblemType> Types);

internal sealed record ResponseHeadersMetadata(int Status, IReadOnlyList<ApiHeader> Headers);

internal sealed record JsonBodyMetadata(Type BodyType, string Description);

internal sealed record PathPatternMetadata(string Parameter, string Pattern, string Description);

internal sealed class IdempotentWriteMetadata
{
    public static readonly IdempotentWriteMetadata Instance = new();
}

internal sealed class AdminTokenMetadata
{
    public static readonly AdminTokenMetadata Instance = new();
}
