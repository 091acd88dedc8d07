using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// <c>GET /openapi/v1.json</c>, as a client generator fetches it from a node: a valid OpenAPI document that describes
/// exactly what docs/api.md says, both ways: every route, every status of every route, every problem type with its
/// status and headers. A route, status or problem type added to one and not the other fails here.
/// </summary>
public sealed class OpenApiDocumentSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private const string ProblemJson = "application/problem+json";

    [Fact]
    public async Task Should_serve_a_document_the_OpenAPI_reader_accepts_without_errors_when_asked_without_a_token()
    {
        using var response = await fixture.Node.Http.GetAsync("openapi/v1.json"); // no Authorization header
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /openapi/v1.json answered {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var read = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings(), TestContext.Current.CancellationToken);
        Assert.True(read.Diagnostic is { Errors.Count: 0 }, "the reader reported: " + string.Join("; ", read.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}") ?? []));
        Assert.NotNull(read.Document);
        var invalid = read.Document.Validate(Microsoft.OpenApi.ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        Assert.True(invalid.Count == 0, "the document breaks OpenAPI rules: " + string.Join("; ", invalid.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.StartsWith("3.", read.Diagnostic!.SpecificationVersion.ToString().Replace("OpenApi", "").Replace('_', '.'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_describe_exactly_the_routes_and_statuses_of_docs_api_md_when_the_document_is_read()
    {
        var described = Operations(await DocumentAsync()).ToDictionary(o => o.Route, o => o.Statuses);
        var documented = ApiDocTables.Routes();
        Assert.True(documented.Count >= 8, $"docs/api.md's route rows were not found ({documented.Count})");

        AssertSame("routes", documented.Select(r => r.Route), described.Keys);
        foreach (var row in documented)
            Assert.True(row.Statuses.SetEquals(described[row.Route]),
                $"{row.Route}: docs/api.md names {Show(row.Statuses)}, the OpenAPI document {Show(described[row.Route])}. Row: {row.Line}");
    }

    [Fact]
    public async Task Should_list_exactly_the_problem_types_of_docs_api_md_with_their_status_when_the_document_is_read()
    {
        var document = await DocumentAsync();
        var described = ProblemSchemas(document).SelectMany(p => p.Types.Select(t => (Type: t, p.Status))).Distinct().ToList();
        // Test hooks (--allow-test-hooks) are not part of a deployment's API and are not described.
        var documented = ApiDocTables.Problems().Where(r => !r.When.Contains("--allow-test-hooks", StringComparison.Ordinal)).ToList();
        Assert.True(documented.Count >= 20, $"docs/api.md's problem rows were not found ({documented.Count})");

        AssertSame("problem types with their status",
            documented.Where(r => r.Status is not null).Select(r => $"{r.Type} {r.Status}"),
            described.Where(d => d.Type.Pattern is null).Select(d => $"{d.Type.Value} {d.Status}"));

        // "/problems/http-<status>", any status: a type pattern rather than a value.
        var anyStatus = documented.Where(r => r.Status is null).Select(r => r.Type).ToList();
        var patterns = described.Where(d => d.Type.Pattern is not null).Select(d => d.Type).ToList();
        Assert.Equal(["/problems/http-<status>"], anyStatus);
        Assert.Equal([("^/problems/http-[1-5][0-9]{2}$", (int?)null)], patterns.Select(p => (p.Pattern, (int?)null)).Distinct());

        // Relative URIs of the repository's own documentation, never a domain.
        Assert.All(described, d => Assert.StartsWith("/problems/", d.Type.Value ?? d.Type.Pattern!.TrimStart('^'), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_give_each_problem_answer_the_Retry_After_and_Idempotency_Key_headers_docs_api_md_names()
    {
        var rows = ApiDocTables.Problems().ToDictionary(r => r.Type);
        foreach (var problem in ProblemSchemas(await DocumentAsync()).Where(p => p.Types.All(t => t.Value is not null)))
        {
            var types = problem.Types.Select(t => rows[t.Value!]).ToList();
            var retryAfter = types.Any(t => t.RetryAfter == "yes");
            var key = types.Any(t => t.IdempotencyKey == "yes" || (t.IdempotencyKey == "on writes" && problem.IsWrite));
            Assert.True(retryAfter == problem.Headers.Contains("Retry-After"),
                $"{problem.Where} ({Show(types.Select(t => t.Type))}): Retry-After expected {retryAfter}, described [{string.Join(", ", problem.Headers)}]");
            Assert.True(key == problem.Headers.Contains("Idempotency-Key"),
                $"{problem.Where} ({Show(types.Select(t => t.Type))}): Idempotency-Key expected {key}, described [{string.Join(", ", problem.Headers)}]");
        }
    }

    [Fact]
    public async Task Should_describe_the_writes_body_key_and_ETag_and_the_admin_token_when_the_document_is_read()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");
        foreach (var write in new[] { "/accounts/{id}/deposit", "/accounts/{id}/withdraw" })
        {
            var post = paths.GetProperty(write).GetProperty("post");
            var body = Resolve(document, post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            var amount = body.GetProperty("properties").GetProperty("amount");
            Assert.True(amount.GetProperty("type") is { ValueKind: JsonValueKind.String } t && t.GetString() == "integer",
                $"{write}: amount is an integer, never a string: {amount.GetProperty("type")}");
            Assert.Equal((1, 1_000_000_000), (amount.GetProperty("minimum").GetInt64(), amount.GetProperty("maximum").GetInt64()));
            Assert.Equal(["amount"], body.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
            Assert.True(body.TryGetProperty("additionalProperties", out var more) && more.ValueKind == JsonValueKind.False,
                $"{write}: the body has exactly one member, amount");
            Assert.True(post.GetProperty("requestBody").GetProperty("required").GetBoolean(), $"{write}: the body must be required");

            var key = post.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
            Assert.Equal(("header", false), (key.GetProperty("in").GetString(), key.TryGetProperty("required", out var r) && r.GetBoolean()));
            Assert.Equal(["ETag", "Idempotency-Key"], ResponseHeaders(post, "200").Order());
            Assert.Equal(["Idempotency-Key", "Retry-After"], ResponseHeaders(post, "504").Order());
        }
        var read = paths.GetProperty("/accounts/{id}").GetProperty("get");
        Assert.Equal(["ETag"], ResponseHeaders(read, "200"));
        Assert.DoesNotContain(read.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray() : [], p => p.GetProperty("in").GetString() == "header");

        // Exactly the /admin routes need the admin token.
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Single();
        Assert.Equal(("http", "bearer"), (scheme.Value.GetProperty("type").GetString(), scheme.Value.GetProperty("scheme").GetString()));
        foreach (var (route, operation) in OperationElements(document))
            Assert.True(route.Contains(" /admin/", StringComparison.Ordinal) == operation.TryGetProperty("security", out _),
                $"{route}: only /admin routes need the admin token");
    }

    [Fact]
    public async Task Should_describe_the_answers_the_node_really_gives_when_a_client_calls_it()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");
        var http = fixture.Node.Http;
        var id = "openapi-" + Guid.NewGuid().ToString("N")[..12];
        var deposit = paths.GetProperty("/accounts/{id}/deposit").GetProperty("post");

        var written = await http.Deposit(id, 5);
        AssertShape(document, deposit, written.Status, written.Body, "application/json");
        Assert.Equal($"\"{written.Body.GetProperty("version").GetInt64()}\"", written.Response.Headers.ETag?.Tag);
        var read = await http.GetAccount(id);
        AssertShape(document, paths.GetProperty("/accounts/{id}").GetProperty("get"), read.Status, read.Body, "application/json");
        var refused = await http.Deposit("not.an.id", 5);
        AssertShape(document, deposit, refused.Status, refused.Body, ProblemJson);
        var missing = await http.GetAccount(id + "-never");
        AssertShape(document, paths.GetProperty("/accounts/{id}").GetProperty("get"), missing.Status, missing.Body, ProblemJson);

        using var probe = await http.GetAsync("health/ready", TestContext.Current.CancellationToken);
        var probeBody = JsonDocument.Parse(await probe.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        AssertShape(document, paths.GetProperty("/health/ready").GetProperty("get"), probe.StatusCode, probeBody, "application/json");
    }

    /// <summary>The answer's status is described for the operation, and its body has exactly the described members (and type).</summary>
    private static void AssertShape(JsonElement document, JsonElement operation, HttpStatusCode status, JsonElement body, string contentType)
    {
        var code = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(operation.GetProperty("responses").TryGetProperty(code, out var response), $"{operation.GetProperty("operationId")} answered {code}, which is not described");
        var properties = AllProperties(document, Resolve(document, response).GetProperty("content").GetProperty(contentType).GetProperty("schema"));
        var members = body.EnumerateObject().Select(m => m.Name).ToHashSet();
        if (contentType == ProblemJson)
        {
            // Problem bodies may carry more (traceId, extensions); their type must be one the document lists at that status.
            Assert.Contains(body.GetProperty("type").GetString(), properties["type"].GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
            return;
        }
        Assert.True(members.SetEquals(properties.Keys), $"{operation.GetProperty("operationId")} {code}: the answer has [{Show(members.Order())}], the document describes [{Show(properties.Keys.Order())}]");
    }

    // ---- reading the document as JSON, as a client generator would ----

    private async Task<JsonElement> DocumentAsync()
    {
        var text = await fixture.Node.Http.GetStringAsync("openapi/v1.json", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(fixture.Node.Launch.DataDir, "openapi-v1.json"), text, TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static IEnumerable<(string Route, JsonElement Operation)> OperationElements(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(m => m.Name is "get" or "post" or "put" or "patch" or "delete")
            .Select(m => ($"{m.Name.ToUpperInvariant()} {path.Name}", m.Value)));

    private static IEnumerable<(string Route, IReadOnlySet<int> Statuses)> Operations(JsonElement document) =>
        OperationElements(document).Select(o => (o.Route, (IReadOnlySet<int>)o.Operation.GetProperty("responses").EnumerateObject()
            .Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet()));

    private sealed record TypeValue(string? Value, string? Pattern);

    private sealed record ProblemSchema(string Where, bool IsWrite, int? Status, IReadOnlyList<TypeValue> Types, IReadOnlySet<string> Headers);

    /// <summary>Every problem answer in the document (operations' and the document-wide ones), with its type values and status.</summary>
    private static IEnumerable<ProblemSchema> ProblemSchemas(JsonElement document)
    {
        var responses = OperationElements(document).SelectMany(o => o.Operation.GetProperty("responses").EnumerateObject()
                .Select(r => (Where: $"{o.Route} {r.Name}", IsWrite: o.Route.StartsWith("POST /accounts/", StringComparison.Ordinal), Response: r.Value)))
            .Concat(document.GetProperty("components").TryGetProperty("responses", out var shared)
                ? shared.EnumerateObject().Select(r => (Where: $"components/responses/{r.Name}", IsWrite: false, Response: r.Value))
                : []);
        foreach (var (where, isWrite, response) in responses)
        {
            var resolved = Resolve(document, response);
            if (!resolved.TryGetProperty("content", out var content) || !content.TryGetProperty(ProblemJson, out var media)) continue;
            var properties = AllProperties(document, media.GetProperty("schema"));
            var type = properties["type"];
            var types = type.TryGetProperty("enum", out var values)
                ? values.EnumerateArray().Select(v => new TypeValue(v.GetString(), null)).ToList()
                : [new TypeValue(null, type.GetProperty("pattern").GetString())];
            int? status = properties.TryGetValue("status", out var s) && s.TryGetProperty("enum", out var st) ? st.EnumerateArray().Single().GetInt32() : null;
            var headers = resolved.TryGetProperty("headers", out var h) ? h.EnumerateObject().Select(x => x.Name).ToHashSet() : [];
            yield return new ProblemSchema(where, isWrite, status, types, headers);
        }
    }

    /// <summary>The properties of a schema and of everything it is allOf, the innermost (most specific) last.</summary>
    private static Dictionary<string, JsonElement> AllProperties(JsonElement document, JsonElement schema)
    {
        var result = new Dictionary<string, JsonElement>();
        void Collect(JsonElement s)
        {
            s = Resolve(document, s);
            if (s.TryGetProperty("allOf", out var all)) foreach (var part in all.EnumerateArray()) Collect(part);
            if (s.TryGetProperty("properties", out var props)) foreach (var p in props.EnumerateObject()) result[p.Name] = p.Value;
        }
        Collect(schema);
        return result;
    }

    private static JsonElement Resolve(JsonElement document, JsonElement element)
    {
        while (element.TryGetProperty("$ref", out var reference))
        {
            element = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/')) element = element.GetProperty(part.Replace("~1", "/").Replace("~0", "~"));
        }
        return element;
    }

    private static IReadOnlyList<string> ResponseHeaders(JsonElement operation, string status) =>
        operation.GetProperty("responses").GetProperty(status).TryGetProperty("headers", out var h) ? [.. h.EnumerateObject().Select(x => x.Name)] : [];

    private static void AssertSame(string what, IEnumerable<string> documented, IEnumerable<string> described)
    {
        var doc = documented.ToHashSet();
        var openApi = described.ToHashSet();
        Assert.True(doc.SetEquals(openApi), $"{what} differ. Only in docs/api.md: [{Show(doc.Except(openApi).Order())}]; " +
            $"only in the OpenAPI document: [{Show(openApi.Except(doc).Order())}]");
    }

    private static string Show(IEnumerable<int> statuses) => "[" + string.Join(", ", statuses.Order()) + "]";

    private static string Show(IEnumerable<string> values) => string.Join(", ", values);
}
