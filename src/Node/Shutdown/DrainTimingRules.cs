using Akka.Cluster.Sharding;
using static Akka.Actor.CoordinatedShutdown;
using static ActorService.Node.Shutdown.ShutdownBudget;

namespace ActorService.Node.Shutdown;

/// <summary>
/// One timing rule: its id (named in every message and in docs/drain.md), what must hold, and whether a starting node
/// can check it (the others need the deployment's numbers: <see cref="DeploymentTimings"/>).
/// </summary>
internal sealed record TimingRule(string Id, string Statement, bool CheckedAtStart = true);

/// <summary>A timing rule that does not hold: its id, and a message with the settings, their values and a way out.</summary>
internal sealed record TimingViolation(string Rule, string Message)
{
    public override string ToString() => $"[{Rule}] {Message}";
}

/// <summary>
/// What only a deployment knows, given by tests/Deploy.Tests for each Kubernetes overlay (a starting node knows
/// neither): how long its load balancer may take to see readiness 503, and how long the orchestrator waits before
/// SIGKILL. <paramref name="DetectionFrom"/> and <paramref name="GraceFrom"/> say where the figures come from.
/// </summary>
internal sealed record DeploymentTimings(TimeSpan LoadBalancerDetection, string DetectionFrom, TimeSpan TerminationGrace, string GraceFrom);

/// <summary>
/// The rules that make the drain's timings nest. Each of our steps must report before Akka abandons its phase, no
/// accepted request may be cut by a drain, the hand-off must fit its phase, the host must outwait the drain, and the
/// deployment must outwait the host. A node checks them at start (<see cref="Enforce"/>: exit code 2, every broken
/// rule named with its values); tests/Deploy.Tests checks them for every overlay, with the deployment's own numbers.
/// </summary>
internal static class DrainTimingRules
{
    public const string LbDelayFitsItsPhase = "lb-delay-fits-its-phase";
    public const string RefuseWindowFitsItsPhase = "refuse-window-fits-its-phase";
    public const string RequestDeadlineFitsItsPhase = "request-deadline-fits-its-phase";
    public const string BackgroundDeadlineFitsItsPhase = "background-deadline-fits-its-phase";
    public const string ResourceCloseFitsItsPhase = "resource-close-fits-its-phase";
    public const string RequestDeadlineCoversRequestTimeout = "request-deadline-covers-request-timeout";
    public const string ShardMoveFitsItsPhase = "shard-move-fits-its-phase";
    public const string HandOffFitsItsPhase = "hand-off-fits-its-phase";
    public const string HandOffCoversAskTimeout = "hand-off-covers-ask-timeout";
    public const string HostOutwaitsDrain = "host-outwaits-the-drain";
    public const string LoadBalancerSeesDrainInTime = "load-balancer-sees-the-drain-in-time";
    public const string GraceOutwaitsHost = "grace-period-outwaits-the-host";

    /// <summary>Akka's sharding keeps this much of handoff-timeout for itself; entities get the rest to finish their queues.</summary>
    public static readonly TimeSpan AkkaHandOffReserve = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the host's shutdown timeout, the process still has to return from Main, flush the log and let the runtime
    /// exit; the orchestrator's SIGKILL must not land in that. Measured 1.1–1.8 s from the shutdown report (the node's
    /// last log line) to process exit, on this project's 2-core machine under load average 17 (deploy/README.md); 3 s.
    /// </summary>
    public static readonly TimeSpan ProcessExitMargin = TimeSpan.FromSeconds(3);

    /// <summary>Every rule, in the order of the drain; the last two need <see cref="DeploymentTimings"/>.</summary>
    public static readonly IReadOnlyList<TimingRule> All =
    [
        new(LbDelayFitsItsPhase, "phases.before-service-unbind.timeout ≥ drain.lb-delay + drain.phase-margin"),
        new(RefuseWindowFitsItsPhase, "phases.service-unbind.timeout ≥ drain.refuse-window + drain.phase-margin"),
        new(RequestDeadlineFitsItsPhase, "phases.service-requests-done.timeout ≥ drain.request-deadline + drain.cancel-grace + drain.phase-margin"),
        new(RequestDeadlineCoversRequestTimeout, "drain.request-deadline ≥ http.request-timeout"),
        new(BackgroundDeadlineFitsItsPhase, "phases.service-stop.timeout ≥ drain.background-deadline + drain.cancel-grace + drain.phase-margin"),
        new(ShardMoveFitsItsPhase, "phases.before-cluster-shutdown.timeout ≥ drain.shard-move-deadline + drain.phase-margin"),
        new(HandOffFitsItsPhase, "phases.cluster-sharding-shutdown-region.timeout ≥ akka.cluster.sharding.handoff-timeout"),
        new(HandOffCoversAskTimeout, "akka.cluster.sharding.handoff-timeout − 5 s (Akka's reserve) ≥ http.ask-timeout"),
        new(ResourceCloseFitsItsPhase, "phases.before-actor-system-terminate.timeout ≥ drain.resource-close-timeout × resources in drain.close-order + drain.phase-margin"),
        new(HostOutwaitsDrain, "HostOptions.ShutdownTimeout ≥ sum of all phase timeouts + host margin (5 s)"),
        new(LoadBalancerSeesDrainInTime, "the load balancer's detection of readiness 503 ≤ drain.lb-delay", CheckedAtStart: false),
        new(GraceOutwaitsHost, "HostOptions.ShutdownTimeout + process-exit margin (3 s) ≤ the orchestrator's grace period (terminationGracePeriodSeconds)", CheckedAtStart: false),
    ];

    /// <summary>
    /// Every rule <paramref name="config"/> breaks (the node's resolved configuration; Akka's reference settings fill
    /// in what it leaves out). The host rule needs <paramref name="hostShutdownTimeout"/>, the last two need
    /// <paramref name="deployment"/>; without them they are not checked.
    /// </summary>
    public static IReadOnlyList<TimingViolation> Check(Akka.Configuration.Config config, TimeSpan? hostShutdownTimeout = null, DeploymentTimings? deployment = null)
    {
        var c = config.WithFallback(ClusterSharding.DefaultConfig()).WithFallback(Akka.Configuration.ConfigurationFactory.Default());
        var d = c.GetConfig("actor-service.drain");
        var margin = d.GetTimeSpan("phase-margin");
        var grace = d.GetTimeSpan("cancel-grace");
        var resources = Math.Max(d.GetStringList("close-order").Count, 1);
        var found = new List<TimingViolation>();

        void Fits(string rule, string phase, string task, params (string Setting, TimeSpan Value)[] terms)
        {
            var timeout = PhaseTimeout(c, phase);
            var needed = terms.Aggregate(TimeSpan.Zero, (sum, t) => sum + t.Value);
            if (timeout < needed)
                found.Add(new(rule, $"akka.coordinated-shutdown.phases.{phase}.timeout = {Format(timeout)} is shorter than " +
                    $"{string.Join(" + ", terms.Select(t => $"{t.Setting} {Format(t.Value)}"))} = {Format(needed)}: Akka would abandon " +
                    $"{task} before its own deadline. Set the phase timeout to at least {Format(needed)}, or shorten {terms[0].Setting}."));
        }

        Fits(LbDelayFitsItsPhase, PhaseBeforeServiceUnbind, "stop-being-ready",
            ("actor-service.drain.lb-delay", d.GetTimeSpan("lb-delay")), ("phase-margin", margin));
        Fits(RefuseWindowFitsItsPhase, PhaseServiceUnbind, "the refuse window",
            ("actor-service.drain.refuse-window", d.GetTimeSpan("refuse-window")), ("phase-margin", margin));
        Fits(RequestDeadlineFitsItsPhase, PhaseServiceRequestsDone, "drain-requests",
            ("actor-service.drain.request-deadline", d.GetTimeSpan("request-deadline")), ("cancel-grace", grace), ("phase-margin", margin));

        var requestDeadline = d.GetTimeSpan("request-deadline");
        var requestTimeout = c.GetTimeSpan("actor-service.http.request-timeout");
        if (requestDeadline < requestTimeout)
            found.Add(new(RequestDeadlineCoversRequestTimeout,
                $"actor-service.drain.request-deadline = {Format(requestDeadline)} is shorter than actor-service.http.request-timeout = {Format(requestTimeout)}: " +
                "a request accepted just before the drain could be cancelled with 503 during a rolling update. Make the deadline at least the request timeout."));

        Fits(BackgroundDeadlineFitsItsPhase, PhaseServiceStop, "drain-background-work",
            ("actor-service.drain.background-deadline", d.GetTimeSpan("background-deadline")), ("cancel-grace", grace), ("phase-margin", margin));

        Fits(ShardMoveFitsItsPhase, PhaseBeforeClusterShutdown, "wait-for-shards-moved",
            ("actor-service.drain.shard-move-deadline", d.GetTimeSpan("shard-move-deadline")), ("phase-margin", margin));

        var handoff = c.GetTimeSpan("akka.cluster.sharding.handoff-timeout");
        var regionPhase = PhaseTimeout(c, PhaseClusterShardingShutdownRegion);
        var entityWindow = handoff - AkkaHandOffReserve;
        var askTimeout = c.GetTimeSpan("actor-service.http.ask-timeout");
        if (handoff > regionPhase)
            found.Add(new(HandOffFitsItsPhase,
                $"akka.cluster.sharding.handoff-timeout = {Format(handoff)} is longer than its phase, akka.coordinated-shutdown.phases." +
                $"{PhaseClusterShardingShutdownRegion}.timeout = {Format(regionPhase)}: the phase would be abandoned while shards are still handing off."));
        if (entityWindow < askTimeout)
            found.Add(new(HandOffCoversAskTimeout,
                $"akka.cluster.sharding.handoff-timeout = {Format(handoff)} leaves entities {Format(entityWindow)} (handoff-timeout − {Format(AkkaHandOffReserve)}) " +
                $"to finish their queues, less than actor-service.http.ask-timeout = {Format(askTimeout)}: commands whose callers are still waiting would be cut and retried."));

        Fits(ResourceCloseFitsItsPhase, PhaseBeforeActorSystemTerminate, "close-resources",
            ($"actor-service.drain.resource-close-timeout × {resources} resources", d.GetTimeSpan("resource-close-timeout") * resources), ("phase-margin", margin));

        var total = Total(c);
        if (hostShutdownTimeout is { } host && host < total + HostMargin)
            found.Add(new(HostOutwaitsDrain,
                $"HostOptions.ShutdownTimeout = {Format(host)} is shorter than the phase timeouts' sum {Format(total)} + host margin {Format(HostMargin)}: " +
                "the host would stop the node before its drain ends."));

        if (deployment is not null)
        {
            var lbDelay = d.GetTimeSpan("lb-delay");
            if (deployment.LoadBalancerDetection > lbDelay)
                found.Add(new(LoadBalancerSeesDrainInTime,
                    $"the load balancer sees a drain only after {deployment.DetectionFrom} = {Format(deployment.LoadBalancerDetection)}, longer than " +
                    $"actor-service.drain.lb-delay = {Format(lbDelay)}: it would still send requests to a node whose intake has closed."));
            var required = total + HostMargin + ProcessExitMargin;
            if (required > deployment.TerminationGrace)
                found.Add(new(GraceOutwaitsHost,
                    $"{deployment.GraceFrom} is {Format(deployment.TerminationGrace)} but the drain may take {Format(required)} (phase timeouts {Format(total)} " +
                    $"+ host margin {Format(HostMargin)} + process-exit margin {Format(ProcessExitMargin)}), so SIGKILL would cut it. " +
                    $"Raise it to at least {Math.Ceiling(required.TotalSeconds)} s, or shorten a phase timeout."));
        }
        return found;
    }

    /// <summary>Stops a node whose timings break a rule: a <see cref="Config.ConfigurationException"/> (exit code 2) naming each.</summary>
    public static void Enforce(Akka.Configuration.Config config, TimeSpan hostShutdownTimeout)
    {
        var broken = Check(config, hostShutdownTimeout);
        if (broken.Count > 0)
            throw new Config.ConfigurationException(
                $"the drain's timings break {broken.Count} timing rule{(broken.Count == 1 ? "" : "s")} (docs/drain.md, \"Timing rules\"): {string.Join(" ", broken)}");
    }
}
