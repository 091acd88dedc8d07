using System.Diagnostics.Metrics;
using ActorService.Node.Health;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// Readiness as the load balancer sees it (meter <see cref="NodeMetrics.MeterName"/>): whether /health/ready answers
/// 200 now, and how often that flipped since start. A scrape every few seconds can miss a short flap in the gauge;
/// the counter cannot, which is what the readiness-flapping alert counts.
/// </summary>
internal sealed class ReadinessMetrics
{
    public ReadinessMetrics(IMeterFactory meters, ReadinessState readiness)
    {
        var meter = meters.Create(NodeMetrics.MeterName);
        meter.CreateObservableGauge("actorservice_ready", () => readiness.IsReady ? 1 : 0, null,
            "1 while /health/ready answers 200 (member Up, resources open, not draining), else 0");
        meter.CreateObservableCounter("actorservice_readiness_changes", () => readiness.Changes, "{changes}",
            "Times readiness flipped between ready and not ready since the node started (a start and a drain make 2)");
    }
}
