using ActorService.Deploy.Tests.Budget;
using ActorService.Deploy.Tests.Manifests;
using Xunit;

namespace ActorService.Deploy.Tests.Monitoring;

/// <summary>
/// Alert durations that depend on the node's configuration agree with it, for every overlay's configuration: an
/// unreachable member pages only after the split brain resolver had its chance, and "key cleanup never ran" waits
/// longer than one cleanup interval.
/// </summary>
public sealed class AlertTimingSpecs
{
    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_page_for_an_unreachable_member_only_after_the_split_brain_resolver_window_when_configured(string overlay)
    {
        var config = DrainBudget.Of(await RenderedOverlay.OfRepo(overlay)).Config;
        // Detection (heartbeat-interval + acceptable-heartbeat-pause), the resolver's stable-after, then removal.
        var window = config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval")
            + config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause")
            + config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after")
            + config.GetTimeSpan("akka.cluster.down-removal-margin");
        var scrape = TimeSpan.FromSeconds(5); // the scrape interval of deploy/prometheus/prometheus.yml and the PodMonitor
        var alert = RuleFiles.Alert("ActorServiceMemberUnreachable");
        Assert.True(RuleFiles.For(alert) >= window + 2 * scrape,
            $"overlay '{overlay}': ActorServiceMemberUnreachable fires after {alert.For}, but the resolver may take {window.TotalSeconds:0.#} s " +
            $"and two scrapes take {2 * scrape.TotalSeconds:0} s: it would page for members the resolver is about to down");
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_wait_longer_than_one_cleanup_interval_before_key_cleanup_never_ran_fires_when_configured(string overlay)
    {
        var config = DrainBudget.Of(await RenderedOverlay.OfRepo(overlay)).Config;
        var interval = config.GetTimeSpan("actor-service.db.key-cleanup-interval");
        var alert = RuleFiles.Alert("ActorServiceKeyCleanupNeverRan");
        Assert.True(RuleFiles.For(alert) > 2 * interval,
            $"overlay '{overlay}': ActorServiceKeyCleanupNeverRan fires after {alert.For}, but the first cleanup runs one interval " +
            $"({interval}) after a node starts: a freshly deployed cluster would page");
    }
}
