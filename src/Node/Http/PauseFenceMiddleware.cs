using ActorService.Actors.Accounts;
using ActorService.Node.Config;

namespace ActorService.Node.Http;

/// <summary>
/// After a pause of its process (<see cref="PauseFence"/>) a node refuses ledger requests until its peers confirm it is
/// still a member: <c>503</c> + <c>Retry-After</c>, type <c>membership-unconfirmed</c>, without touching any actor, so
/// nothing is applied and nothing is read from state that may have been superseded elsewhere. Probes pass (readiness
/// itself says 503 while fenced), and so does <c>/admin</c> (an operator may look at a fenced node's status).
/// </summary>
internal sealed class PauseFenceMiddleware(RequestDelegate next, DrainSettings drain, PauseFence fence)
{
    private readonly string _retryAfter = ((int)Math.Ceiling(drain.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task InvokeAsync(HttpContext context)
    {
        if (!fence.IsFenced || IntakeGateMiddleware.PassesFenceAndLimiter(context)) return next(context);
        context.Response.Headers.RetryAfter = _retryAfter;
        var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, "membership-unconfirmed", "Membership not confirmed",
            "This node's process was paused; it serves again once the cluster confirms it is still a member. Nothing was processed; retry, another node will answer.");
        return problem.ExecuteAsync(context);
    }
}
