using System.Diagnostics.Metrics;
using ActorService.Actors;
using ActorService.Node.Config;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using ActorService.Node.Http;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format, through OpenTelemetry's Prometheus exporter: every instrument is a
/// standard <see cref="System.Diagnostics.Metrics"/> one (the ledger library's, the node's, ASP.NET Core's own
/// <c>http_server_*</c> and <c>kestrel_*</c>, the runtime's), and the exporter names them the Prometheus way (unit
/// suffixes, <c>_total</c> on counters). HTTP metrics are labelled with the route template (<c>http_route</c>), never the
/// raw path, so label cardinality stays bounded. /metrics passes the intake gate, so a drain can be watched until the
/// listener closes.
/// <para>
/// The node's own meters and ASP.NET Core's are made by the host's <see cref="IMeterFactory"/>, and reach the exporter
/// through the host's metrics subscriptions with <see cref="MeterScope.Local"/>: only meters of this host's factory.
/// (<c>AddMeter</c> would match meters by name across the whole process, so nodes built in one test process would
/// each publish the others' counters too.) The runtime's meter is process-wide by nature and is added by name.
/// </para>
/// </summary>
internal static class MetricsSetup
{
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    /// <summary>Meters this host's <see cref="IMeterFactory"/> makes: ours and ASP.NET Core's.</summary>
    private static readonly string[] HostMeters =
        [LedgerMetrics.MeterName, NodeMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>The name OpenTelemetry's listener registers under with the host's metrics subscriptions.</summary>
    private const string OpenTelemetryListener = "OpenTelemetry";

    public static IServiceCollection AddNodeMetrics(this IServiceCollection services, NodeSettings node)
    {
        services.AddSingleton<LedgerMetrics>().AddSingleton<NodeMetrics>().AddSingleton<ShardStats>();
        services.AddSingleton<ReadinessMetrics>().AddSingleton<KeyCleanupMetrics>().AddSingleton<PreviousDrainMetrics>();
        services.AddMetrics(metrics =>
        {
            foreach (var meter in HostMeters) metrics.EnableMetrics(meter, instrumentName: null, OpenTelemetryListener, MeterScope.Local);
        });
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("actorservice", serviceVersion: node.AppVersion))
            .WithMetrics(m => m
                .AddMeter("System.Runtime").AddMeter(ActorService.Actors.Wire.WireRejections.MeterName) // process-wide: Akka makes the serializers
                // The library's histograms carry no bucket advice; the exporter's defaults are sized for milliseconds.
                .AddView("actorservice_db_commit_duration", new ExplicitBucketHistogramConfiguration { Boundaries = SecondsBuckets })
                .AddView("actorservice_db_batch_size", new ExplicitBucketHistogramConfiguration { Boundaries = BatchBuckets })
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>Maps /metrics and creates the node's instruments (they are observable: they must exist before the first scrape).</summary>
    public static WebApplication MapMetricsApi(this WebApplication app)
    {
        app.Services.GetRequiredService<LedgerMetrics>();
        app.Services.GetRequiredService<NodeMetrics>();
        app.Services.GetRequiredService<ReadinessMetrics>();
        app.Services.GetRequiredService<KeyCleanupMetrics>();
        app.Services.GetRequiredService<PreviousDrainMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics")
            .OnManagementListener() // scraped by Prometheus inside the network, never through the load balancer
            .WithName("metrics").WithTags("operations")
            .WithSummary("Prometheus scrape: the node's metrics in the Prometheus text format (docs/observability.md)")
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/plain"])); // for the OpenAPI document
        return app;
    }
}
