using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace ActorService.Node.OpenApi;

/// <summary>
/// Turns a route's <see cref="EndpointDescriptions"/> metadata into its OpenAPI operation: the path parameter's pattern,
/// the Idempotency-Key request header, the JSON body, the admin security requirement, response headers, and for each
/// problem status a schema whose <c>type</c> is an enum of exactly the route's problem types at that status.
/// </summary>
internal sealed class OperationDescriber : IOpenApiOperationTransformer
{
    public const string AdminScheme = "adminToken";
    private const string ProblemSchemaId = "ProblemDetails";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        await DescribeAsync(operation, metadata, context.Document!, type => context.GetOrCreateSchemaAsync(type, null, cancellationToken));
    }

    /// <summary>Also used for endpoints that are not route handlers (health checks), which ASP.NET Core's generator does not see.</summary>
    public static async Task DescribeAsync(OpenApiOperation operation, IList<object> metadata, OpenApiDocument document, Func<Type, Task<OpenApiSchema>> schemaFor)
    {
        var isWrite = metadata.OfType<IdempotentWriteMetadata>().Any();
        operation.Parameters ??= [];
        foreach (var path in metadata.OfType<PathPatternMetadata>())
        {
            // Replaces the generator's plain string parameter with one that states the pattern the route checks.
            foreach (var generated in operation.Parameters.Where(p => p.In == ParameterLocation.Path && p.Name == path.Parameter).ToList())
                operation.Parameters.Remove(generated);
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = path.Parameter, In = ParameterLocation.Path, Required = true, Description = path.Description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = path.Pattern },
            });
        }
        if (isWrite)
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = ApiHeader.IdempotencyKey.Name, In = ParameterLocation.Header, Required = false,
                Description = "Optional. A write repeated with the same key on the same account is applied once; the repeat answers with the original outcome and \"applied\": false.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = ApiHeader.IdempotencyKey.Pattern },
            });
        foreach (var body in metadata.OfType<JsonBodyMetadata>())
        {
            var schema = await schemaFor(body.BodyType);
            schema.AdditionalPropertiesAllowed = false; // the route's parser refuses any other member (400 invalid-body)
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true, Description = body.Description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        }
        if (metadata.OfType<AdminTokenMetadata>().Any())
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AdminScheme, document)] = [] }];

        operation.Responses ??= [];
        foreach (var headers in metadata.OfType<ResponseHeadersMetadata>())
            if (operation.Responses.TryGetValue(Status(headers.Status), out var response) && response is OpenApiResponse r)
                foreach (var header in headers.Headers)
                    (r.Headers ??= new Dictionary<string, IOpenApiHeader>())[header.Name] = Header(header, required: true);

        var problemTypes = metadata.OfType<ProblemTypesMetadata>().SelectMany(m => m.Types).Distinct();
        foreach (var atStatus in problemTypes.GroupBy(t => t.Status))
            operation.Responses[Status(atStatus.Key)] = ProblemResponse([.. atStatus], isWrite, document);
    }

    /// <summary>One status's problem answer: the common problem schema plus this route's <c>type</c> values and extensions.</summary>
    public static OpenApiResponse ProblemResponse(IReadOnlyList<ProblemType> types, bool isWrite, OpenApiDocument document)
    {
        var own = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "type" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. types.Select(t => (JsonNode)t.Type)] },
                // The status is in the body too (RFC 9457); stating it here lets a reader pair each type with its status
                // also where the response is not under a status code (the document-wide answers to unrouted requests).
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Enum = [.. types.Select(t => t.Status).Distinct().Select(s => (JsonNode)s)] },
            },
        };
        foreach (var member in types.SelectMany(t => t.ExtensionMembers).Distinct())
        {
            own.Properties[member] = ExtensionSchema(member);
            if (types.All(t => t.ExtensionMembers.Contains(member))) own.Required.Add(member);
        }
        var headers = new Dictionary<string, IOpenApiHeader>();
        if (types.Any(t => t.RetryAfter))
            headers[ApiHeader.RetryAfter.Name] = Header(ApiHeader.RetryAfter, types.All(t => t.RetryAfter));
        bool CarriesKey(ProblemType t) => t.IdempotencyKey == KeyHeader.Always || (t.IdempotencyKey == KeyHeader.OnWrites && isWrite);
        if (types.Any(CarriesKey))
            headers[ApiHeader.IdempotencyKey.Name] = Header(ApiHeader.IdempotencyKey, types.All(CarriesKey));
        return new OpenApiResponse
        {
            Description = $"{ReasonPhrases.GetReasonPhrase(types[0].Status)}: " + string.Join("; ", types.Select(t => $"{t.Type} ({t.Title})")) +
                ". See docs/api.md, Problem types.",
            Headers = headers,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [EndpointDescriptions.ProblemContentType] = new() { Schema = new OpenApiSchema { AllOf = [new OpenApiSchemaReference(ProblemSchemaId, document), own] } },
            },
        };
    }

    private static OpenApiHeader Header(ApiHeader header, bool required) => new()
    {
        Description = header.Description,
        Required = required,
        Schema = header.IsInteger
            ? new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" }
            : new OpenApiSchema { Type = JsonSchemaType.String, Pattern = header.Pattern },
    };

    private static OpenApiSchema ExtensionSchema(string member) => member switch
    {
        "balance" => new() { Type = JsonSchemaType.Integer, Format = "int64", Description = "The account's balance the write was refused on." },
        "version" => new() { Type = JsonSchemaType.Integer, Format = "int64", Description = "The account's version the write was refused on." },
        "idempotencyKey" => new() { Type = JsonSchemaType.String, Pattern = ApiHeader.IdempotencyKey.Pattern, Description = "Retry the write with this key." },
        _ => throw new ArgumentException($"no schema for the problem extension '{member}'", nameof(member)),
    };

    private static string Status(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
