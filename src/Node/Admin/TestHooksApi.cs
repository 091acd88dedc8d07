using ActorService.Actors.Drain;
using ActorService.Node.Http;

namespace ActorService.Node.Admin;

/// <summary>
/// Endpoints that exist only when the node runs with <c>--allow-test-hooks</c> (and behind the admin token): they
/// let real-process tests create the situations a drain must handle, such as background work that ignores
/// cancellation. Never enabled in a deployment.
/// </summary>
internal static class TestHooksApi
{
    public static IEndpointRouteBuilder MapTestHooksApi(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/admin/test").AddEndpointFilter<AdminAuth>();

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
        return app;
    }
}
