using System.Globalization;
using ActorService.Deploy.Tests.Manifests;
using ActorService.Node.Config;
using ActorService.Node.Shutdown;
using Akka.Configuration;
using static Akka.Actor.CoordinatedShutdown;

namespace ActorService.Deploy.Tests.Budget;

/// <summary>One named part of the drain: the CoordinatedShutdown phases it spans and their timeouts.</summary>
public sealed record BudgetTerm(string Name, IReadOnlyList<(string Phase, TimeSpan Timeout)> Phases)
{
    public TimeSpan Duration => Phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Timeout);

    public override string ToString() => Phases.Count == 1
        ? $"{Name} {DrainBudget.Seconds(Duration)} ({Phases[0].Phase})"
        : $"{Name} {DrainBudget.Seconds(Duration)} ({string.Join(" + ", Phases.Select(p => $"{p.Phase} {DrainBudget.Seconds(p.Timeout)}"))})";
}

/// <summary>A budget that does not hold: which one, and a message that says by how much and what it is made of.</summary>
public sealed record BudgetViolation(string Budget, string Message)
{
    public override string ToString() => $"[{Budget}] {Message}";
}

/// <summary>
/// The drain budget of one overlay, computed the way a pod computes it: the ConfigMap's hocon.conf under the overlay's
/// environment (ACTORSERVICE_LB_DELAY, ACTORSERVICE_HOCON, ...) through the node's own <see cref="HoconLoader"/>, whose
/// service-phase timeouts are derived from <c>actor-service.drain</c>, and <see cref="ShutdownBudget"/>'s totals.
/// The budgets it checks (deploy/README.md, "Timings and why they nest"):
/// <list type="bullet">
/// <item>termination grace: every phase timeout + host margin + process-exit margin ≤ terminationGracePeriodSeconds;</item>
/// <item>readiness detection: readiness periodSeconds × failureThreshold + timeoutSeconds ≤ drain.lb-delay;</item>
/// <item>request drain: drain.request-deadline ≥ http.request-timeout (no accepted request is cut by a drain);</item>
/// <item>sharding hand-off: akka.cluster.sharding.handoff-timeout ≤ the cluster-sharding-shutdown-region phase timeout,
/// and the entities' share of it (handoff-timeout − 5 s, Akka's reserve) ≥ http.ask-timeout, the longest any caller
/// still waits for a queued command.</item>
/// </list>
/// </summary>
public sealed class DrainBudget
{
    public const string TerminationGrace = "termination grace";
    public const string ReadinessDetection = "readiness detection";
    public const string RequestDrain = "request drain";
    public const string ShardingHandOff = "sharding hand-off";

    /// <summary>
    /// After the host's shutdown timeout, the process still has to return from Main, flush the log and let the runtime
    /// exit; the kubelet's SIGKILL must not land in that. Measured 1.1–1.8 s from the shutdown report (the node's last
    /// log line) to process exit, on this project's 2-core machine under load average 17 (deploy/README.md); 3 s.
    /// </summary>
    public static readonly TimeSpan ProcessExitMargin = TimeSpan.FromSeconds(3);

    /// <summary>Akka's sharding keeps this much of handoff-timeout for itself; entities get the rest to finish their queues.</summary>
    public static readonly TimeSpan AkkaHandOffReserve = TimeSpan.FromSeconds(5);

    /// <summary>Phase groups named as the issue and the README name them, in drain order.</summary>
    private static readonly (string Name, string[] Phases)[] Groups =
    [
        ("load-balancer delay", [PhaseBeforeServiceUnbind, PhaseServiceUnbind]),
        ("request drain", [PhaseServiceRequestsDone]),
        ("background work", [PhaseServiceStop]),
        ("sharding hand-off", [PhaseBeforeClusterShutdown, PhaseClusterShardingShutdownRegion]),
        ("leave/exit", [PhaseClusterLeave, PhaseClusterExiting, PhaseClusterExitingDone, PhaseClusterShutdown]),
        ("resource close", [PhaseBeforeActorSystemTerminate]),
        ("actor system terminate", [PhaseActorSystemTerminate]),
    ];

    private DrainBudget(string overlay) => Overlay = overlay;

    public string Overlay { get; }
    public required Config Config { get; init; }
    public required IReadOnlyList<BudgetTerm> Terms { get; init; }
    public required TimeSpan PhaseTotal { get; init; }
    public required TimeSpan HostShutdownTimeout { get; init; }
    public required int? TerminationGracePeriodSeconds { get; init; }
    public required V1ProbeTimings Readiness { get; init; }

    public TimeSpan HostMargin => HostShutdownTimeout - PhaseTotal;
    public TimeSpan Required => HostShutdownTimeout + ProcessExitMargin;
    public TimeSpan LbDelay => Config.GetTimeSpan("actor-service.drain.lb-delay");

    public static DrainBudget Of(RenderedOverlay overlay)
    {
        var environment = PodEnvironment.Of(overlay);
        var options = NodeOptions.Parse([], environment.Get);
        // As NodeHost does: the node's configuration over Akka's reference configuration.
        var config = HoconLoader.Load(options).WithFallback(ConfigurationFactory.Default());
        var timeouts = ShutdownBudget.OrderedPhases(config).Select(p => (Phase: p, Timeout: PhaseTimeout(config, p))).ToList();

        var terms = Groups.Select(g => new BudgetTerm(g.Name, timeouts.Where(t => g.Phases.Contains(t.Phase)).ToList()))
            .Where(t => t.Phases.Count > 0).ToList();
        var grouped = Groups.SelectMany(g => g.Phases).ToHashSet();
        var others = timeouts.Where(t => !grouped.Contains(t.Phase)).ToList();
        if (others.Count > 0) terms.Add(new BudgetTerm("other phases", others));

        var probe = overlay.Node.ReadinessProbe;
        return new DrainBudget(overlay.Name)
        {
            Config = config,
            Terms = terms,
            PhaseTotal = ShutdownBudget.Total(config),
            HostShutdownTimeout = ShutdownBudget.HostShutdownTimeout(config),
            TerminationGracePeriodSeconds = (int?)overlay.Pod.TerminationGracePeriodSeconds,
            // Kubernetes' defaults where a field is absent: period 10 s, failureThreshold 3, timeout 1 s.
            Readiness = new V1ProbeTimings(probe?.PeriodSeconds ?? 10, probe?.FailureThreshold ?? 3, probe?.TimeoutSeconds ?? 1, probe is not null),
        };
    }

    private static TimeSpan PhaseTimeout(Config config, string phase)
    {
        var cs = config.GetConfig("akka.coordinated-shutdown");
        return cs.HasPath($"phases.{phase}.timeout") ? cs.GetTimeSpan($"phases.{phase}.timeout") : cs.GetTimeSpan("default-phase-timeout");
    }

    /// <summary>Every budget that does not hold; empty when the overlay's timings nest.</summary>
    public IReadOnlyList<BudgetViolation> Violations()
    {
        var found = new List<BudgetViolation>();
        var grace = TerminationGracePeriodSeconds ?? 30; // Kubernetes' default
        if (Required > TimeSpan.FromSeconds(grace))
            found.Add(new(TerminationGrace,
                $"overlay '{Overlay}': terminationGracePeriodSeconds is {grace} s{(TerminationGracePeriodSeconds is null ? " (Kubernetes' default)" : "")} " +
                $"but the drain may take {Seconds(Required)}, so the kubelet's SIGKILL would cut it: {Breakdown()}. " +
                $"Raise terminationGracePeriodSeconds to at least {Math.Ceiling(Required.TotalSeconds)} or shorten a deadline."));

        if (!Readiness.Declared)
            found.Add(new(ReadinessDetection, $"overlay '{Overlay}': the node container has no readinessProbe, so a draining pod is never taken out of its Services"));
        else if (Readiness.Detection > LbDelay)
            found.Add(new(ReadinessDetection,
                $"overlay '{Overlay}': the readiness probe sees a drain only after periodSeconds {Readiness.PeriodSeconds} × failureThreshold {Readiness.FailureThreshold} " +
                $"+ timeoutSeconds {Readiness.TimeoutSeconds} = {Seconds(Readiness.Detection)}, longer than actor-service.drain.lb-delay = {Seconds(LbDelay)}: " +
                "Services would still route requests to a pod whose intake has closed."));

        var requestDeadline = Config.GetTimeSpan("actor-service.drain.request-deadline");
        var requestTimeout = Config.GetTimeSpan("actor-service.http.request-timeout");
        if (requestDeadline < requestTimeout)
            found.Add(new(RequestDrain,
                $"overlay '{Overlay}': actor-service.drain.request-deadline = {Seconds(requestDeadline)} is shorter than actor-service.http.request-timeout = " +
                $"{Seconds(requestTimeout)}: a request accepted just before the drain could be cancelled with 503 during a rolling update."));

        var handoff = Config.GetTimeSpan("akka.cluster.sharding.handoff-timeout");
        var regionPhase = PhaseTimeout(Config, PhaseClusterShardingShutdownRegion);
        var entityWindow = handoff - AkkaHandOffReserve;
        var askTimeout = Config.GetTimeSpan("actor-service.http.ask-timeout");
        if (handoff > regionPhase)
            found.Add(new(ShardingHandOff,
                $"overlay '{Overlay}': akka.cluster.sharding.handoff-timeout = {Seconds(handoff)} is longer than its phase " +
                $"{PhaseClusterShardingShutdownRegion}.timeout = {Seconds(regionPhase)}: the phase would be abandoned while shards are still handing off."));
        else if (entityWindow < askTimeout)
            found.Add(new(ShardingHandOff,
                $"overlay '{Overlay}': akka.cluster.sharding.handoff-timeout = {Seconds(handoff)} leaves entities {Seconds(entityWindow)} " +
                $"(handoff-timeout − {Seconds(AkkaHandOffReserve)}) to finish their queues, less than actor-service.http.ask-timeout = {Seconds(askTimeout)}: " +
                "commands whose callers are still waiting would be cut and retried."));
        return found;
    }

    /// <summary>"load-balancer delay 6 s (…) + request drain 12 s (…) + … + host margin 5 s + process-exit margin 2 s".</summary>
    public string Breakdown() =>
        string.Join(" + ", Terms.Select(t => t.ToString()).Append($"host margin {Seconds(HostMargin)}").Append($"process-exit margin {Seconds(ProcessExitMargin)}"));

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}

/// <summary>The readiness probe's timings; <see cref="Detection"/> is the longest it can take to see a drain.</summary>
public sealed record V1ProbeTimings(int PeriodSeconds, int FailureThreshold, int TimeoutSeconds, bool Declared)
{
    /// <summary>
    /// Worst case: readiness flips just after a successful probe; the next <see cref="FailureThreshold"/> probes,
    /// <see cref="PeriodSeconds"/> apart, must all fail, and the last may take <see cref="TimeoutSeconds"/> to count.
    /// </summary>
    public TimeSpan Detection => TimeSpan.FromSeconds(PeriodSeconds * FailureThreshold + TimeoutSeconds);
}
