using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActorService.Node.Health;

/// <summary>Liveness and readiness probes for the load balancer and Kubernetes.</summary>
internal static class HealthApi
{
    public static IServiceCollection AddNodeHealth(this IServiceCollection services)
    {
        services.AddSingleton<ReadinessState>();
        services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy("the process serves requests"), tags: ["live"])
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", Options("live"));   // 200 while the process can serve at all
        app.MapHealthChecks("/health/ready", Options("ready")); // 200 when Up, resources open and not draining; else 503
        return app;
    }

    private static HealthCheckOptions Options(string tag) => new()
    {
        Predicate = r => r.Tags.Contains(tag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = (context, report) =>
        {
            context.Response.ContentType = "application/json";
            var entry = report.Entries.Values.FirstOrDefault();
            return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), reason = entry.Description }));
        },
    };

    private sealed class ReadinessCheck(ReadinessState readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(readiness.IsReady ? HealthCheckResult.Healthy(readiness.Reason) : HealthCheckResult.Unhealthy(readiness.Reason));
    }
}
