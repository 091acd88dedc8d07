using System.Reflection;
using ActorService.Node.Config;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace ActorService.Node.OpenApi;

/// <summary>
/// What belongs to the whole document: its title and how to read it, the admin token's security scheme, the problem
/// answers no route gives (a path no route matches, a method the path does not have), and the endpoints ASP.NET Core's
/// generator does not see because they are not route handlers: the health checks and the Prometheus scrape endpoint
/// (described where they are mapped, with the same metadata as any route).
/// </summary>
internal sealed class DocumentDescriber(NodeSettings settings, EndpointDataSource endpoints) : IOpenApiDocumentTransformer
{
    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "ActorService ledger node",
            Version = settings.AppVersion,
            Description = "The ledger's HTTP contract, its health probes and its admin routes. docs/api.md in the repository is the " +
                "contract in words: every problem type is the relative URI /problems/<slug>, one row of its problem table.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OperationDescriber.AdminScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The node's admin token (--admin-token). Without a configured token /admin/* answers 403 admin-disabled.",
        };

        await EnsureProblemSchemaAsync(document, context, cancellationToken);
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
            if (Describable(endpoint) is { } method)
                await AddOperationAsync(document, context, endpoint, method, cancellationToken);
        AddUnroutedProblems(document);
    }

    /// <summary>
    /// GET for a non-handler endpoint that carries a name (the health probes, the scrape endpoint); null for everything
    /// else (route handlers, which the generator described already, and anything excluded). The health check and
    /// scrape middleware answer any method, but probes and scrapers send GET, so GET is what is described.
    /// </summary>
    private static HttpMethod? Describable(RouteEndpoint endpoint)
    {
        var metadata = endpoint.Metadata;
        if (metadata.GetMetadata<MethodInfo>() is not null || metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
            return null;
        return metadata.GetMetadata<IEndpointNameMetadata>() is not null ? HttpMethod.Get : null;
    }

    private static async Task AddOperationAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, RouteEndpoint endpoint,
        HttpMethod method, CancellationToken ct)
    {
        var metadata = endpoint.Metadata;
        var operation = new OpenApiOperation
        {
            OperationId = metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
            Summary = metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary,
            Description = metadata.GetMetadata<IEndpointDescriptionMetadata>()?.Description,
            Tags = new HashSet<OpenApiTagReference>(metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags).Select(t => new OpenApiTagReference(t, document))),
            Responses = [],
        };
        foreach (var produces in metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            var schema = produces.Type is null ? null : await context.GetOrCreateSchemaAsync(produces.Type, null, ct);
            operation.Responses[produces.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = produces.Description ?? ReasonPhrases.GetReasonPhrase(produces.StatusCode),
                Content = produces.ContentTypes.ToDictionary(c => c, _ => new OpenApiMediaType { Schema = schema }),
            };
        }
        await OperationDescriber.DescribeAsync(operation, [.. metadata], document, type => context.GetOrCreateSchemaAsync(type, null, ct));

        var path = endpoint.RoutePattern.RawText!;
        document.Paths ??= [];
        if (!document.Paths.TryGetValue(path, out var item)) document.Paths[path] = item = new OpenApiPathItem();
        ((OpenApiPathItem)item).AddOperation(method, operation);
        foreach (var tag in operation.Tags) (document.Tags ??= new HashSet<OpenApiTag>()).Add(new OpenApiTag { Name = tag.Reference.Id });
    }

    /// <summary>The problem answers to a request no route takes; no operation has them, so they are listed as components.</summary>
    private static void AddUnroutedProblems(OpenApiDocument document)
    {
        document.Components!.Responses ??= new Dictionary<string, IOpenApiResponse>();
        foreach (var slug in new[] { "route-not-found", "method-not-allowed" })
            document.Components.Responses[slug] = OperationDescriber.ProblemResponse([ProblemCatalog.Get(slug)], isWrite: false, document);
        // Any other status the framework set without a body gets /problems/http-<status> (none is expected).
        var anyStatus = OperationDescriber.ProblemResponse([new ProblemType("http-000", 0, "the status's reason phrase")], isWrite: false, document);
        var own = (OpenApiSchema)((OpenApiSchema)anyStatus.Content![EndpointDescriptions.ProblemContentType].Schema!).AllOf![1];
        own.Properties!["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^/problems/http-[1-5][0-9]{2}$" };
        own.Properties["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "100", Maximum = "599" };
        anyStatus.Description = "A status the framework set without a body: /problems/http-<status>. None is expected.";
        document.Components.Responses["http-status"] = anyStatus;
    }

    private static async Task EnsureProblemSchemaAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey("ProblemDetails"))
            document.AddComponent("ProblemDetails", await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, ct));
    }
}
