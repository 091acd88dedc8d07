using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ActorService.Actors.Accounts;
using ActorService.Node.Http;

namespace ActorService.Node.Health;

/// <summary>Liveness and readiness probes for the load balancer and Kubernetes.</summary>
internal static class HealthApi
{
    public static IServiceCollection AddNodeHealth(this IServiceCollection services)
    {
        services.AddSingleton<PauseFence>().AddSingleton<ReadinessState>();
        services.AddHealthChecks()
            .AddCheck("live", () => HealthCheckResult.Healthy("the process serves requests"), tags: ["live"])
            .AddCheck<ReadinessCheck>("ready", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", Options("live"))    // 200 while the process can serve at all
            .WithName("live").WithSummary("Liveness: 200 while the process can serve at all")
            .DescribedAsProbe(StatusCodes.Status200OK).OnBothListeners();
        app.MapHealthChecks("/health/ready", Options("ready"))  // 200 when Up, resources open, warmed up and not draining; else 503
            .WithName("ready").WithSummary("Readiness: 200 when joined, resources open, warmed up and not draining; 503 from the first moment of a drain")
            .DescribedAsProbe(StatusCodes.Status200OK, StatusCodes.Status503ServiceUnavailable).OnBothListeners();
        return app;
    }

    /// <summary>A probe's answer: what the response writer below writes, and what the OpenAPI document describes.</summary>
    public sealed record ProbeAnswer(string Status, string? Reason);

    private static IEndpointConventionBuilder DescribedAsProbe(this IEndpointConventionBuilder probe, params int[] statuses)
    {
        probe.WithTags("health");
        foreach (var status in statuses)
            probe.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProbeAnswer), ["application/json"]));
        return probe;
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
            // The type the OpenAPI document describes, so the two are one: {"status": "Healthy", "reason": "…"}.
            return context.Response.WriteAsync(JsonSerializer.Serialize(new ProbeAnswer(report.Status.ToString(), entry.Description), JsonSerializerOptions.Web));
        },
    };

    private sealed class ReadinessCheck(ReadinessState readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(readiness.IsReady ? HealthCheckResult.Healthy(readiness.Reason) : HealthCheckResult.Unhealthy(readiness.Reason));
    }
}
