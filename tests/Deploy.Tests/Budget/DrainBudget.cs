using System.Globalization;
using ActorService.Deploy.Tests.Manifests;
using ActorService.Node.Config;
using ActorService.Node.Shutdown;
using Akka.Configuration;
using static Akka.Actor.CoordinatedShutdown;

namespace ActorService.Deploy.Tests.Budget;

/// <summary>One named part of the drain: the CoordinatedShutdown phases it spans and their timeouts.</summary>
internal sealed record BudgetTerm(string Name, IReadOnlyList<(string Phase, TimeSpan Timeout)> Phases)
{
    public TimeSpan Duration => Phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Timeout);

    public override string ToString() => Phases.Count == 1
        ? $"{Name} {DrainBudget.Seconds(Duration)} ({Phases[0].Phase})"
        : $"{Name} {DrainBudget.Seconds(Duration)} ({string.Join(" + ", Phases.Select(p => $"{p.Phase} {DrainBudget.Seconds(p.Timeout)}"))})";
}

/// <summary>
/// The drain budget of one overlay, computed the way a pod computes it: the ConfigMap's hocon.conf under the overlay's
/// environment (ACTORSERVICE_LB_DELAY, ACTORSERVICE_HOCON, ...) through the node's own <see cref="HoconLoader"/> and
/// <see cref="ShutdownBudget"/>, checked by the node's own <see cref="DrainTimingRules"/> (the rules a node enforces at
/// start) plus the two only the manifests can answer: the readiness probe sees a drain within drain.lb-delay, and
/// terminationGracePeriodSeconds outwaits the host. <see cref="Terms"/> groups the phases as deploy/README.md does.
/// </summary>
internal sealed class DrainBudget
{
    /// <summary>Phase groups named as deploy/README.md names them, in drain order.</summary>
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
    public TimeSpan Required => HostShutdownTimeout + DrainTimingRules.ProcessExitMargin;
    public TimeSpan LbDelay => Config.GetTimeSpan("actor-service.drain.lb-delay");

    public static DrainBudget Of(RenderedOverlay overlay)
    {
        var environment = PodEnvironment.Of(overlay);
        var options = NodeOptions.Parse([], environment.Get);
        // As NodeHost does: the node's configuration over Akka's reference configuration.
        var config = HoconLoader.Load(options).WithFallback(ConfigurationFactory.Default());
        var timeouts = ShutdownBudget.OrderedPhases(config).Select(p => (Phase: p, Timeout: ShutdownBudget.PhaseTimeout(config, p))).ToList();

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

    /// <summary>Every timing rule the overlay breaks (the node's own rules, with the manifests' numbers); empty when they nest.</summary>
    public IReadOnlyList<TimingViolation> Violations()
    {
        var deployment = new DeploymentTimings(
            Readiness.Declared ? Readiness.Detection : TimeSpan.Zero,
            $"readiness probe periodSeconds {Readiness.PeriodSeconds} × failureThreshold {Readiness.FailureThreshold} + timeoutSeconds {Readiness.TimeoutSeconds}",
            TimeSpan.FromSeconds(TerminationGracePeriodSeconds ?? 30),
            TerminationGracePeriodSeconds is null ? "terminationGracePeriodSeconds (Kubernetes' default)" : "terminationGracePeriodSeconds");
        var found = DrainTimingRules.Check(Config, HostShutdownTimeout, deployment)
            .Select(v => v with { Message = $"overlay '{Overlay}': {v.Message} Budget: {Breakdown()}." }).ToList();
        if (!Readiness.Declared)
            found.Add(new(DrainTimingRules.LoadBalancerSeesDrainInTime, $"overlay '{Overlay}': the node container has no readinessProbe, so a draining pod is never taken out of its Services"));
        return found;
    }

    /// <summary>"load-balancer delay 6 s (…) + request drain 12 s (…) + … + host margin 5 s + process-exit margin 3 s".</summary>
    public string Breakdown() =>
        string.Join(" + ", Terms.Select(t => t.ToString()).Append($"host margin {Seconds(HostMargin)}").Append($"process-exit margin {Seconds(DrainTimingRules.ProcessExitMargin)}"));

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}

/// <summary>The readiness probe's timings; <see cref="Detection"/> is the longest it can take to see a drain.</summary>
internal sealed record V1ProbeTimings(int PeriodSeconds, int FailureThreshold, int TimeoutSeconds, bool Declared)
{
    /// <summary>
    /// Worst case: readiness flips just after a successful probe; the next <see cref="FailureThreshold"/> probes,
    /// <see cref="PeriodSeconds"/> apart, must all fail, and the last may take <see cref="TimeoutSeconds"/> to count.
    /// </summary>
    public TimeSpan Detection => TimeSpan.FromSeconds(PeriodSeconds * FailureThreshold + TimeoutSeconds);
}
