using System.Text.Json;
using ActorService.Node.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The answers ASP.NET Core writes itself (UseExceptionHandler after an unhandled exception) carry the node's own
/// relative problem types from docs/api.md, never the framework's default URI on a domain the project does not own.
/// The node's problem details service, as the host registers it, writing the answer the exception handler writes.
/// </summary>
public sealed class UnhandledErrorProblemSpecs
{
    [Fact]
    public async Task Should_answer_internal_error_with_a_relative_type_when_the_framework_writes_a_500()
    {
        var problem = await WriteAsync(500, new ProblemDetails { Status = 500 });
        Assert.Equal(("/problems/internal-error", "Internal error", 500), (problem.GetProperty("type").GetString(), problem.GetProperty("title").GetString(), problem.GetProperty("status").GetInt32()));
        Assert.DoesNotContain("exception", problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Should_answer_http_status_with_a_relative_type_when_the_framework_writes_another_status()
    {
        var problem = await WriteAsync(502, new ProblemDetails { Status = 502 });
        Assert.Equal("/problems/http-502", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Should_keep_the_nodes_own_type_when_a_problem_already_has_one()
    {
        var problem = await WriteAsync(503, new ProblemDetails { Status = 503, Type = "/problems/draining", Title = "Node is draining" });
        Assert.Equal(("/problems/draining", "Node is draining"), (problem.GetProperty("type").GetString(), problem.GetProperty("title").GetString()));
    }

    private static async Task<JsonElement> WriteAsync(int status, ProblemDetails details)
    {
        await using var services = new ServiceCollection().AddLogging().AddNodeProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Headers.Accept = "application/json";
        http.Response.StatusCode = status;
        var body = new MemoryStream();
        http.Response.Body = body;
        var written = await services.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = details });
        Assert.True(written, "the problem details service wrote nothing");
        return JsonDocument.Parse(body.ToArray()).RootElement.Clone();
    }
}
