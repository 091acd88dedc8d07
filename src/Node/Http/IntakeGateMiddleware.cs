using ActorService.Node.Config;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ActorService.Node.Http;

/// <summary>
/// First in the pipeline. Health, metrics and readiness probes pass untouched (they must keep answering while
/// draining). Every other request is counted by the <see cref="IntakeGate"/>; once intake is closed it gets
/// <c>503</c> + <c>Retry-After</c> + <c>Connection: close</c> without touching any actor, so a kept-alive client is
/// told to go elsewhere instead of finding its connection refused.
/// </summary>
internal sealed class IntakeGateMiddleware(RequestDelegate next, IntakeGate gate, DrainSettings drain)
{
    private readonly string _retryAfter = ((int)Math.Ceiling(drain.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsProbe(context))
        {
            await next(context);
            return;
        }
        if (!gate.TryEnter())
        {
            await Refuse(context);
            return;
        }
        try
        {
            // The request's token fires when the client goes away or when the drain's request deadline passes.
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, gate.RequestDeadlineToken());
            context.RequestAborted = linked.Token;
            await next(context);
        }
        finally
        {
            gate.Leave();
        }
    }

    internal static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");

    // The exemptions below hold only for a route this listener serves (routing found an endpoint, and ListenerRouting
    // kept it): a hidden /metrics on the public port, or an unknown /health/x, is refused or limited like any unknown
    // path, so a drain or an overload never tells a stranger which paths exist.

    /// <summary>A probe or a scrape this listener serves: it passes the gate, the fence and the limiter.</summary>
    internal static bool IsProbe(HttpContext context) => context.GetEndpoint() is not null && IsProbe(context.Request.Path);

    /// <summary>An /admin route this listener serves: it passes the fence and the limiter (not the gate).</summary>
    internal static bool IsAdmin(HttpContext context) => context.GetEndpoint() is not null && context.Request.Path.StartsWithSegments("/admin");

    /// <summary>What the pause fence and the concurrency limiter let through untouched: probes, scrapes and /admin.</summary>
    internal static bool PassesFenceAndLimiter(HttpContext context) => IsProbe(context) || IsAdmin(context);

    private Task Refuse(HttpContext context)
    {
        context.Response.Headers.RetryAfter = _retryAfter;
        context.Response.Headers.Connection = "close";
        var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, "draining", "Node is draining",
            "This node is shutting down and accepts no new requests. Nothing was processed; retry, another node will answer.");
        return problem.ExecuteAsync(context);
    }
}
