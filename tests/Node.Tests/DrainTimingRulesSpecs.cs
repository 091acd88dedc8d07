using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Akka.Configuration;
using Xunit;
using static ActorService.Node.Shutdown.DrainTimingRules;

namespace ActorService.Node.Tests;

/// <summary>
/// The drain's timing rules (docs/drain.md, "Timing rules"): the repository's hocon.conf keeps them, each one refuses a
/// configuration that breaks it with a message naming the settings and their values, and a real node started with such
/// timings exits with code 2 before it opens anything.
/// </summary>
public sealed class DrainTimingRulesSpecs
{
    /// <summary>The repository's hocon.conf under <paramref name="overrides"/>, as the node layers --hocon over it.</summary>
    private static Akka.Configuration.Config Hocon(params string[] overrides) =>
        ConfigurationFactory.ParseString(string.Join('\n', overrides)).WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Repo.HoconFile)));

    private static TimeSpan HostTimeout(Akka.Configuration.Config config) => ShutdownBudget.HostShutdownTimeout(config.WithFallback(ConfigurationFactory.Default()));

    [Fact]
    public void Should_hold_every_rule_when_the_configuration_is_the_shipped_hocon_conf()
    {
        var config = Hocon();
        Assert.Empty(Check(config, HostTimeout(config)));
    }

    /// <summary>One row per rule a node checks at start: a change that breaks only that rule, and figures its message must show.</summary>
    public static TheoryData<string, string[], string[]> OneRuleBroken => new()
    {
        { LbDelayFitsItsPhase, ["actor-service.drain.lb-delay = 5500ms"], ["before-service-unbind.timeout = 6 s", "actor-service.drain.lb-delay 5.5 s + phase-margin 1 s = 6.5 s"] },
        { RefuseWindowFitsItsPhase, ["actor-service.drain.refuse-window = 1s"], ["service-unbind.timeout = 1.5 s", "refuse-window 1 s + phase-margin 1 s = 2 s"] },
        { RequestDeadlineFitsItsPhase, ["actor-service.drain.request-deadline = 11s"], ["service-requests-done.timeout = 12 s", "= 13 s"] },
        { RequestDeadlineCoversRequestTimeout, ["actor-service.drain.request-deadline = 4s"], ["request-deadline = 4 s", "request-timeout = 10 s"] },
        { BackgroundDeadlineFitsItsPhase, ["akka.coordinated-shutdown.phases.service-stop.timeout = 11s"], ["service-stop.timeout = 11 s", "background-deadline 10 s + cancel-grace 1 s + phase-margin 1 s = 12 s"] },
        { HandOffFitsItsPhase, ["akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 9s"], ["handoff-timeout = 10 s", "cluster-sharding-shutdown-region.timeout = 9 s"] },
        { HandOffCoversAskTimeout, ["actor-service.http.ask-timeout = 6s"], ["leaves entities 5 s", "ask-timeout = 6 s"] },
        { ResourceCloseFitsItsPhase, ["actor-service.drain.close-order = [events, cache, db, db]"], ["× 4 resources 20 s", "before-actor-system-terminate.timeout = 16 s"] },
    };

    [Theory]
    [MemberData(nameof(OneRuleBroken))]
    public void Should_name_the_broken_rule_with_its_values_when_one_timing_is_changed(string rule, string[] overrides, string[] figures)
    {
        var config = Hocon(overrides);
        var broken = Check(config, HostTimeout(config));
        Assert.True(broken.Count == 1 && broken[0].Rule == rule, $"{string.Join(", ", overrides)} must break {rule} alone; broken: {string.Join(" | ", broken)}");
        foreach (var figure in figures) Assert.Contains(figure, broken[0].Message);
        var e = Assert.Throws<ActorService.Node.Config.ConfigurationException>(() => Enforce(config, HostTimeout(config)));
        Assert.Contains($"[{rule}]", e.Message);
    }

    [Fact]
    public void Should_refuse_a_host_shutdown_timeout_shorter_than_the_phases_and_the_host_margin()
    {
        var config = Hocon();
        var broken = Assert.Single(Check(config, HostTimeout(config) - TimeSpan.FromMilliseconds(1)));
        Assert.Equal(HostOutwaitsDrain, broken.Rule);
        Assert.Contains("phase timeouts' sum 97.5 s + host margin 5 s", broken.Message);
    }

    [Fact]
    public void Should_refuse_a_load_balancer_that_needs_longer_than_the_lb_delay_to_see_the_drain()
    {
        var config = Hocon();
        var deployment = new DeploymentTimings(TimeSpan.FromMilliseconds(1500), "HAProxy inter 500ms × fall 3", TimeSpan.FromMinutes(5), "the grace period");
        var broken = Assert.Single(Check(config, HostTimeout(config), deployment));
        Assert.Equal(LoadBalancerSeesDrainInTime, broken.Rule);
        Assert.Contains("HAProxy inter 500ms × fall 3 = 1.5 s, longer than actor-service.drain.lb-delay = 1 s", broken.Message);
        Assert.Empty(Check(config, HostTimeout(config), deployment with { LoadBalancerDetection = TimeSpan.FromSeconds(1) }));
    }

    [Fact]
    public void Should_refuse_a_grace_period_shorter_than_the_host_timeout_and_the_process_exit_margin()
    {
        var config = Hocon();
        var deployment = new DeploymentTimings(TimeSpan.Zero, "no load balancer", TimeSpan.FromSeconds(105), "terminationGracePeriodSeconds");
        var broken = Assert.Single(Check(config, HostTimeout(config), deployment));
        Assert.Equal(GraceOutwaitsHost, broken.Rule);
        Assert.Contains("terminationGracePeriodSeconds is 105 s but the drain may take 105.5 s", broken.Message);
        Assert.Contains("at least 106 s", broken.Message);
    }

    [Fact]
    public void Should_list_every_rule_once_with_its_statement()
    {
        Assert.Equal(All.Count, All.Select(r => r.Id).Distinct().Count());
        Assert.All(All, r => Assert.False(string.IsNullOrWhiteSpace(r.Statement), r.Id));
    }

    /// <summary>A real node: the request deadline is shorter than the request timeout; it must not start.</summary>
    [Fact]
    public async Task Should_exit_with_code_2_naming_the_rule_when_a_node_starts_with_a_deadline_shorter_than_the_request_timeout()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("rule-deadline")) with { Hocon = ["actor-service.drain.request-deadline = 4s"] };
        await using var node = NodeProcess.Start(launch);
        Assert.Equal(ExitCodes.BadConfiguration, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(node.Lines, l => l.Contains($"[{RequestDeadlineCoversRequestTimeout}]") && l.Contains("request-deadline = 4 s") && l.Contains("request-timeout = 10 s"));
        Assert.False(File.Exists(Path.Combine(launch.DataDir, "ledger.db")), "a node refused at start must not have opened its database");
    }

    /// <summary>A real node: --lb-delay longer than its phase allows (hocon.conf leaves room for 5 s).</summary>
    [Fact]
    public async Task Should_exit_with_code_2_naming_the_rule_when_a_node_starts_with_an_lb_delay_its_phase_cannot_hold()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("rule-lb-delay")) with { LbDelay = "5500ms" };
        await using var node = NodeProcess.Start(launch);
        Assert.Equal(ExitCodes.BadConfiguration, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(node.Lines, l => l.Contains($"[{LbDelayFitsItsPhase}]") && l.Contains("lb-delay 5.5 s"));
    }
}
