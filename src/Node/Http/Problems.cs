using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ActorService.Node.Http;

/// <summary>
/// RFC 9457 problem details, one stable <c>type</c> per kind of error so clients can branch on it.
/// No exception text or stack trace ever goes into a response.
/// </summary>
internal static class Problems
{
    public const string TypePrefix = "https://actorservice.dev/problems/";

    public static ProblemHttpResult Create(int status, string slug, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Type = TypePrefix + slug,
            Title = title,
            Detail = detail,
            Extensions = extensions ?? new Dictionary<string, object?>(),
        });
}
