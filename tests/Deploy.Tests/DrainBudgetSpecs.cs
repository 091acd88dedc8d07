using ActorService.Deploy.Tests.Budget;
using ActorService.Deploy.Tests.Manifests;
using ActorService.Node.Shutdown;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>
/// The timings nest: each overlay's drain, computed from the real hocon.conf and the overlay's environment by the
/// node's own code, fits its terminationGracePeriodSeconds, and its readiness probe sees a drain within the
/// load-balancer delay. Changing one number breaks a named budget.
/// </summary>
public sealed class DrainBudgetSpecs(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_fit_the_whole_drain_in_the_grace_period_when_the_overlay_is_deployed(string overlay)
    {
        var budget = DrainBudget.Of(await RenderedOverlay.OfRepo(overlay));
        output.WriteLine($"overlay {overlay}: phases {DrainBudget.Seconds(budget.PhaseTotal)}, HostOptions.ShutdownTimeout {DrainBudget.Seconds(budget.HostShutdownTimeout)}, " +
                         $"needed {DrainBudget.Seconds(budget.Required)} ≤ terminationGracePeriodSeconds {budget.TerminationGracePeriodSeconds} s");
        output.WriteLine($"  {budget.Breakdown()}");
        output.WriteLine($"  readiness detection {DrainBudget.Seconds(budget.Readiness.Detection)} ≤ lb-delay {DrainBudget.Seconds(budget.LbDelay)}");

        Assert.Empty(budget.Violations());
        Assert.True(budget.PhaseTotal < budget.HostShutdownTimeout && budget.HostShutdownTimeout < TimeSpan.FromSeconds(budget.TerminationGracePeriodSeconds!.Value),
            $"overlay '{overlay}': phases {budget.PhaseTotal} < host {budget.HostShutdownTimeout} < grace {budget.TerminationGracePeriodSeconds} s must hold");
        Assert.Equal(budget.PhaseTotal, budget.Terms.Aggregate(TimeSpan.Zero, (sum, t) => sum + t.Duration));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_apply_the_overlay_environment_when_the_budget_is_computed(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var budget = DrainBudget.Of(o);
        // ACTORSERVICE_LB_DELAY from the manifest, not hocon.conf's 1s; and its phase, from the overlay's configuration, holds it.
        var lbDelay = o.Node.Env.Single(e => e.Name == "ACTORSERVICE_LB_DELAY").Value;
        Assert.Equal(TimeSpan.FromSeconds(5), budget.LbDelay);
        Assert.Equal("5s", lbDelay);
        var lb = budget.Terms.Single(t => t.Name == "load-balancer delay").Phases.Single(p => p.Phase == "before-service-unbind");
        Assert.True(lb.Timeout >= budget.LbDelay + budget.Config.GetTimeSpan("actor-service.drain.phase-margin"),
            $"overlay '{overlay}': before-service-unbind.timeout {lb.Timeout} must hold lb-delay {budget.LbDelay} + phase-margin");
    }

    /// <summary>Each row changes one number in a copy of deploy/k8s and names the timing rule that must then break.</summary>
    public static TheoryData<string, string, string, string, string, string> OneNumberChanged => new()
    {
        // overlay, file, from, to, broken rule, figure the message must show
        { "production", "overlays/production/overrides.conf", "service-requests-done.timeout = 11500ms", "service-requests-done.timeout = 31500ms", DrainTimingRules.GraceOutwaitsHost, "request drain 31.5 s" },
        { "production", "overlays/production/deployment-patch.yaml", "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 50", DrainTimingRules.GraceOutwaitsHost, "terminationGracePeriodSeconds is 50 s" },
        { "local", "base/hocon.conf", "cluster-exiting.timeout = 10s", "cluster-exiting.timeout = 30s", DrainTimingRules.GraceOutwaitsHost, "leave/exit 45 s" },
        { "local", "base/deployment.yaml", "terminationGracePeriodSeconds: 110", "terminationGracePeriodSeconds: 95", DrainTimingRules.GraceOutwaitsHost, "at least 106" },
        { "production", "base/deployment.yaml", "periodSeconds: 1\n", "periodSeconds: 3\n", DrainTimingRules.LoadBalancerSeesDrainInTime, "periodSeconds 3 × failureThreshold 2 + timeoutSeconds 1 = 7 s" },
        { "local", "base/deployment.yaml", "value: 5s", "value: 2s", DrainTimingRules.LoadBalancerSeesDrainInTime, "lb-delay = 2 s" },
        { "production", "base/deployment.yaml", "value: 5s", "value: 6s", DrainTimingRules.LbDelayFitsItsPhase, "before-service-unbind.timeout = 5.5 s" },
        { "production", "overlays/production/overrides.conf", "request-deadline = 10s", "request-deadline = 30s", DrainTimingRules.RequestDeadlineFitsItsPhase, "= 31.5 s" },
        { "production", "overlays/production/overrides.conf", "request-deadline = 10s", "request-deadline = 4s", DrainTimingRules.RequestDeadlineCoversRequestTimeout, "request-deadline = 4 s" },
        { "production", "overlays/production/overrides.conf", "background-deadline = 3s", "background-deadline = 15s", DrainTimingRules.BackgroundDeadlineFitsItsPhase, "= 16.5 s" },
        { "production", "overlays/production/overrides.conf", "resource-close-timeout = 1500ms", "resource-close-timeout = 2s", DrainTimingRules.ResourceCloseFitsItsPhase, "× 3 resources 6 s" },
        { "production", "overlays/production/overrides.conf", "handoff-timeout = 8s", "handoff-timeout = 12s", DrainTimingRules.HandOffFitsItsPhase, "cluster-sharding-shutdown-region.timeout = 8 s" },
        { "production", "overlays/production/overrides.conf", "handoff-timeout = 8s", "handoff-timeout = 6s", DrainTimingRules.HandOffCoversAskTimeout, "leaves entities 1 s" },
    };

    [Theory]
    [MemberData(nameof(OneNumberChanged))]
    public async Task Should_name_the_broken_rule_when_one_number_changes(string overlay, string file, string from, string to, string budgetName, string figure)
    {
        var copy = DeployPaths.CopyK8s($"budget-{overlay}");
        Assert.Empty(DrainBudget.Of(await RenderedOverlay.RenderAsync(copy, overlay)).Violations()); // the copy holds before the change

        DeployPaths.Mutate(copy, file, from, to);
        var violations = DrainBudget.Of(await RenderedOverlay.RenderAsync(copy, overlay)).Violations();
        output.WriteLine(string.Join("\n", violations));

        var broken = Assert.Single(violations);
        Assert.Equal(budgetName, broken.Rule);
        Assert.Contains(figure, broken.Message);
        Assert.Contains($"overlay '{overlay}'", broken.Message);
    }
}
