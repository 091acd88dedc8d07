using System.Globalization;
using ActorService.Actors.Drain;
using ActorService.Node.Config;
using ActorService.Node.Http;

namespace ActorService.Node.Admin;

/// <summary>
/// Endpoints that exist only when the node runs with <c>--allow-test-hooks</c> (<c>/admin/test/*</c> behind the admin token): they
/// let real-process tests create the situations a drain must handle, such as background work that ignores
/// cancellation. Never enabled in a deployment.
/// </summary>
internal static class TestHooksApi
{
    public static IEndpointRouteBuilder MapTestHooksApi(this IEndpointRouteBuilder app)
    {
        // Not in the OpenAPI document: no client of a deployment can reach them.
        var hooks = app.MapGroup("/admin/test").OnManagementListener().AddEndpointFilter<AdminAuth>().ExcludeFromDescription();

        // Starts named background work that runs `seconds`; cooperative work stops when its token is cancelled,
        // stubborn work ignores the token (the drain must report it as abandoned, by name).
        hooks.MapPost("/background", (string name, double seconds, bool cooperative, IBackgroundWork background) =>
        {
            var duration = TimeSpan.FromSeconds(seconds);
            var started = background.TryStart(name, async ct =>
            {
                if (cooperative) await Task.Delay(duration, ct);
                else await Task.Delay(duration, CancellationToken.None);
            });
            return started
                ? Results.Accepted(value: new { name, seconds, cooperative })
                : Problems.Create(409, "shutting-down", "Shutting down", "Background work is no longer accepted: the node is draining.");
        });

        // A request that stays in flight `seconds`, or until its token fires: the client left, or the drain's request
        // deadline passed. Unlike a ledger request it is not bounded by http.request-timeout (as one whose body arrives
        // slowly is not), and it takes a concurrency slot like one (admin routes do not): how a test makes the drain's
        // deadline cut a request while the timing rules hold (drain.request-deadline ≥ http.request-timeout).
        app.MapPost("/test/hold", async Task<IResult> (double seconds, HttpContext http, DrainSettings drain) =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(seconds), http.RequestAborted);
                return Results.Ok(new { held = seconds });
            }
            catch (OperationCanceledException)
            {
                http.Response.Headers.RetryAfter = Math.Ceiling(drain.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Problems.Create(503, "drain-deadline", "Node is draining", "The node's drain deadline cancelled this request.");
            }
        }).ExcludeFromDescription().OnManagementListener();
        return app;
    }
}
