using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace ActorService.Node.Http;

/// <summary>
/// The per-node concurrency limit (<c>actor-service.http.limits.concurrent-requests</c> + <c>request-queue</c>), built
/// on ASP.NET Core's rate limiting middleware with a <see cref="ConcurrencyLimiter"/>. A request beyond both gets
/// <c>503</c> + <c>Retry-After</c> at once instead of waiting in an unbounded queue, so an overloaded node sheds load
/// in microseconds and never grows its memory or latency without bound. Probes (/health, /metrics) bypass it, exactly
/// as they bypass the intake gate: a busy node must still answer its load balancer and Kubernetes. So does /admin:
/// an operator must be able to see and drain an overloaded node, and admin requests never wait on an actor (an
/// unauthenticated one costs a header check).
/// </summary>
internal static class ConcurrencyLimit
{
    public static IServiceCollection AddConcurrencyLimit(this IServiceCollection services, HttpLimits limits)
    {
        var retryAfter = ((int)Math.Ceiling(limits.OverloadRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = new ExemptingConcurrencyLimiter(new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.ConcurrentRequests,
                QueueLimit = limits.RequestQueue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst, // first come, first served
            }), IntakeGateMiddleware.PassesFenceAndLimiter);
            o.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            o.OnRejected = (rejected, _) =>
            {
                var http = rejected.HttpContext;
                http.Response.Headers.RetryAfter = retryAfter;
                return Problems.Create(503, "overloaded", "Node overloaded",
                    $"This node is already handling {limits.ConcurrentRequests} requests with {limits.RequestQueue} waiting. " +
                    "Nothing was processed; retry after the Retry-After delay.").ExecuteAsync(http).AsValueTask();
            };
        });
    }

    /// <summary>Right after the intake gate: a draining node refuses before a request can even queue here.</summary>
    public static IApplicationBuilder UseConcurrencyLimit(this IApplicationBuilder app) =>
        app.UseMiddleware<UnansweredRequestGuard>().UseRateLimiter();

    private static ValueTask AsValueTask(this Task task) => new(task);
}

/// <summary>
/// One concurrency limiter for every request but the exempt ones. <c>PartitionedRateLimiter.Create</c> would do the
/// same with a partition lookup (a dictionary under a lock, and a closure) per request; with two fixed partitions that
/// cost 3 % of GET throughput in the benchmark, so the partitioning is this one branch instead.
/// </summary>
internal sealed class ExemptingConcurrencyLimiter(ConcurrencyLimiter limiter, Func<HttpContext, bool> isExempt)
    : PartitionedRateLimiter<HttpContext>
{
    private static readonly RateLimitLease Free = new FreeLease();

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) =>
        isExempt(resource) ? null : limiter.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
        isExempt(resource) ? Free : limiter.AttemptAcquire(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        isExempt(resource) ? ValueTask.FromResult(Free) : limiter.AcquireAsync(permitCount, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing) limiter.Dispose();
        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await limiter.DisposeAsync();
        await base.DisposeAsyncCore();
    }

    private sealed class FreeLease : RateLimitLease
    {
        public override bool IsAcquired => true;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

/// <summary>
/// A request still queued in the limiter when the drain's request deadline fires is dropped by the rate limiting
/// middleware without a response (it treats a cancelled token as a client that left), which would reach a client
/// that is still there as an empty <c>200</c>. This turns that silence into the same <c>503</c> the gateway gives a
/// request cancelled by the deadline: nothing was processed, retrying is safe.
/// </summary>
internal sealed class UnansweredRequestGuard(RequestDelegate next, IntakeGate gate, Config.DrainSettings drain)
{
    private readonly string _retryAfter = ((int)Math.Ceiling(drain.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context);
        if (context.Response.HasStarted || !gate.DeadlinePassed || context.Response.StatusCode != StatusCodes.Status200OK)
            return;
        context.Response.Headers.RetryAfter = _retryAfter;
        await Problems.Create(503, "drain-deadline", "Node is draining",
            "The node's drain deadline passed before this request could start. Nothing was processed; retry, another node will answer.")
            .ExecuteAsync(context);
    }
}
