using System.Net;
using ActorService.Deploy.Tests.Manifests;
using ActorService.Node.Config;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>A real node started by the tests, shared by the probe checks that leave it running.</summary>
public sealed class ProbedNode : IAsyncLifetime
{
    public NodeProcess Node { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("probes")) with { TestHooks = false });

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>
/// The probes of the rendered Deployment exist on a real node: same paths, on the management port the node listens on
/// with the manifest's environment (a public port full of connections must not fail them), with the answers the drain budget relies on (readiness 503 from the first moment of a
/// drain while liveness stays 200).
/// </summary>
public sealed class ProbeSpecs(ProbedNode probed) : IClassFixture<ProbedNode>
{
    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_answer_every_probe_of_the_deployment_when_the_node_is_ready(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var podConfig = HoconLoader.Load(NodeOptions.Parse([], PodEnvironment.Of(o).Get));
        var podManagementPort = podConfig.GetInt("akka.management.http.port");

        foreach (var (name, probe) in OverlayRenderSpecs.Probes(o))
        {
            Assert.True(probe?.HttpGet is not null, $"overlay '{overlay}': the node container has no HTTP {name} probe");
            var get = probe!.HttpGet;
            Assert.True(o.ContainerPort(get.Port) == podManagementPort,
                $"overlay '{overlay}': the {name} probe targets port {o.ContainerPort(get.Port)}, but with the manifest's environment the node's management listener is on {podManagementPort}");
            Assert.Equal("HTTP", get.Scheme ?? "HTTP");
            // The test node listens on a free port; the path and the answer are what the kubelet would get.
            var response = await probed.Node.Management.GetAsync(get.Path.TrimStart('/'));
            Assert.True(response.StatusCode == HttpStatusCode.OK,
                $"overlay '{overlay}': {name} probe GET {get.Path} answered {(int)response.StatusCode} on a ready node ({probed.Node.LogPath})");
        }
    }

    [Fact]
    public async Task Should_fail_readiness_while_liveness_passes_when_the_node_drains()
    {
        var o = await RenderedOverlay.OfRepo("production");
        var readiness = o.Node.ReadinessProbe.HttpGet.Path.TrimStart('/');
        var liveness = o.Node.LivenessProbe.HttpGet.Path.TrimStart('/');
        var lbDelay = o.Node.Env.Single(e => e.Name == "ACTORSERVICE_LB_DELAY").Value;
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("probe-drain")) with { LbDelay = lbDelay, TestHooks = false });
        using var http = NodeProcess.NewClient(node.ManagementUri, TimeSpan.FromSeconds(2)); // where the kubelet probes

        node.Signal(Signals.SIGTERM);
        // Within the load-balancer delay the kubelet must see: not ready (take it out of the Services), still alive.
        await Eventually.True(async () => (await http.GetAsync(readiness)).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(2), $"GET /{readiness} to answer 503 after SIGTERM (log: {node.LogPath})");
        var live = await http.GetAsync(liveness);
        Assert.True(live.StatusCode == HttpStatusCode.OK, $"GET /{liveness} answered {(int)live.StatusCode} during the load-balancer delay; the kubelet would restart a draining pod");
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
