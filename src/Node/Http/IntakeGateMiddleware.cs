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
        if (IsProbe(context.Request.Path))
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

    private Task Refuse(HttpContext context)
    {
        context.Response.Headers.RetryAfter = _retryAfter;
        context.Response.Headers.Connection = "close";
        var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, "draining", "Node is draining",
            "This node is shutting down and accepts no new requests. Nothing was processed; retry, another node will answer.");
        return problem.ExecuteAsync(context);
    }
}
