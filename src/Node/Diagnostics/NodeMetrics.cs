using System.Diagnostics.Metrics;
using ActorService.Actors.Drain;
using ActorService.Node.Health;
using ActorService.Node.Http;
using ActorService.Node.Shutdown;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// The node's own instruments (meter <see cref="MeterName"/>), next to the actor library's
/// (<see cref="Actors.LedgerMetrics"/>) and ASP.NET Core's (<c>http_server_*</c>, <c>kestrel_*</c>). Most are observable:
/// they read state the node keeps anyway (the intake gate's counters, the cluster state, the drain timeline) when
/// Prometheus scrapes, so nothing is paid per request. Names are what /metrics shows (the exporter appends the unit
/// suffix: <c>_seconds</c>, and <c>_total</c> for counters).
/// </summary>
internal sealed class NodeMetrics
{
    public const string MeterName = "ActorService.Node";

    // Every status is always exported (0 when empty), so a dashboard sees a member move from Up to Leaving to Exiting.
    private static readonly MemberStatus[] Statuses = Enum.GetValues<MemberStatus>();

    private readonly Counter<long> _askRetries;

    public NodeMetrics(IMeterFactory meters, IntakeGate gate, IBackgroundWork background, ActorSystem system,
        ShardStats shards, ShutdownTimeline timeline, ReadinessState readiness)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("actorservice_http_requests_in_flight", () => gate.InFlight, "{requests}",
            "Ledger and admin requests accepted by the intake gate and not yet answered (what a drain waits for; probes and /metrics excluded)");
        meter.CreateObservableCounter("actorservice_http_requests_refused", () => gate.Refused, "{requests}",
            "Requests refused at the intake gate with 503 + Retry-After because the node is draining");
        meter.CreateObservableCounter("actorservice_http_requests_accepted", () => gate.Accepted, "{requests}",
            "Requests accepted by the intake gate");
        _askRetries = meter.CreateCounter<long>("actorservice_ask_retries", "{retries}",
            "Asks to an account entity sent again with the same idempotency key, by reason: timeout (no answer in ask-timeout) or unavailable");
        meter.CreateObservableGauge("actorservice_background_tasks_running", () => background.Running.Count, "{tasks}",
            "Tracked background work running now (service-stop waits for it)");
        meter.CreateObservableGauge("actorservice_shards", () => shards.Last.Shards, "{shards}",
            "Account shards hosted by this node (sampled from the shard region every metrics.shard-poll-interval)");
        meter.CreateObservableGauge("actorservice_cluster_members", () => ObserveMembers(system), "{members}",
            "Cluster members by status, as this node sees them");
        meter.CreateObservableGauge("actorservice_cluster_unreachable_members", () => Cluster.Get(system).State.Unreachable.Count, "{members}",
            "Members this node's failure detector marks unreachable");
        meter.CreateObservableGauge("actorservice_draining", () => readiness.IsDraining ? 1 : 0, null,
            "1 from the first moment of a drain (readiness is 503), else 0");
        meter.CreateObservableGauge("actorservice_shutdown_phase_duration", () => ObservePhases(timeline), "s",
            "Duration of each CoordinatedShutdown phase of the drain in progress (the running phase: so far); visible until the listener closes in service-unbind");
    }

    /// <summary>The gateway sends a command again (same idempotency key) after a lost or refused attempt.</summary>
    public void AskRetried(string reason) => _askRetries.Add(1, new KeyValuePair<string, object?>("reason", reason));

    private static IEnumerable<Measurement<int>> ObserveMembers(ActorSystem system)
    {
        var members = Cluster.Get(system).State.Members;
        return Statuses.Select(status => new Measurement<int>(members.Count(m => m.Status == status),
            new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant())));
    }

    private static IEnumerable<Measurement<double>> ObservePhases(ShutdownTimeline timeline) =>
        timeline.PhaseDurations().Select(p => new Measurement<double>(p.DurationMs / 1000.0,
            new KeyValuePair<string, object?>("phase", p.Phase)));
}
