using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ActorService.Node.Http;

/// <summary>
/// RFC 9457 problem details, one stable <c>type</c> per kind of error so clients can branch on it.
/// No exception text or stack trace ever goes into a response.
/// <para>
/// Types are relative URIs, <c>/problems/&lt;slug&gt;</c> (RFC 9457 allows a relative reference): every slug is a row
/// of the problem table in docs/api.md, which says what it means and which kind of answer it is (applied, not
/// applied, unknown). The project owns no domain to make them absolute, and a type must not point anywhere it does not control.
/// </para>
/// </summary>
internal static class Problems
{
    public const string TypePrefix = "/problems/";

    /// <summary>
    /// ASP.NET Core's problem details service, for the answers the framework writes itself (an unhandled exception in
    /// UseExceptionHandler): its default <c>type</c> is a URI on tools.ietf.org, which is not ours and not in
    /// docs/api.md. A 500 becomes <c>/problems/internal-error</c>, any other status <c>/problems/http-&lt;status&gt;</c>;
    /// the node's own problems (already <c>/problems/…</c>) pass unchanged.
    /// </summary>
    public static IServiceCollection AddNodeProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (problem.Type?.StartsWith(TypePrefix, StringComparison.Ordinal) == true) return;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            problem.Type = TypePrefix + (status == StatusCodes.Status500InternalServerError ? "internal-error" : "http-" + status);
            if (status == StatusCodes.Status500InternalServerError)
            {
                problem.Title = "Internal error";
                problem.Detail = "The node failed on this request (a bug); its log says where.";
            }
        });

    public static ProblemHttpResult Create(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Type = TypePrefix + slug,
            Title = title,
            Detail = detail,
            Extensions = extensions ?? new Dictionary<string, object?>(),
        });

    /// <summary>
    /// Body for a status the framework set without one (routing's 404 and 405), so those carry our problem types too.
    /// Used by UseStatusCodePages, which only runs when nothing was written. The request's path and method are not
    /// echoed back: nothing a client sends is reflected into a response or a log line it could shape.
    /// </summary>
    public static Task WriteBareStatusAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var problem = status switch
        {
            // Names only what this listener serves: the public port's answer must not tell a stranger that /admin exists.
            404 => Create(404, "route-not-found", "Not found", http.RequestServices.GetRequiredService<ListenerPorts>().Of(http) == Listener.Management
                ? "No route matches this path. The management listener serves /health/live, /health/ready, /metrics and /admin/*; the ledger API is on the public port."
                : "No route matches this path. The API serves /accounts/{id}, /accounts/{id}/deposit, /accounts/{id}/withdraw, /health/live, /health/ready and /openapi/v1.json (the API's description)."),
            405 => Create(405, "method-not-allowed", "Method not allowed", "This path exists but not with this method: writes are POST, reads are GET."),
            _ => Create(status, "http-" + status, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), $"The request ended with status {status}."),
        };
        return problem.ExecuteAsync(http);
    }
}
