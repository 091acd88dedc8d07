using ActorService.Deploy.Tests.Manifests;
using ActorService.Node.Config;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>What can be checked of deploy/Dockerfile without a Docker engine: base images, PID 1, user, ports, config.</summary>
public sealed class DockerfileSpecs
{
    private static readonly DockerfileModel Dockerfile = DockerfileModel.Parse(File.ReadAllText(DeployPaths.Dockerfile));

    [Fact]
    public void Should_build_with_the_sdk_and_run_on_the_aspnet_runtime_when_the_image_is_built()
    {
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/aspnet:10.0"], Dockerfile.BaseImages);
        Assert.Contains(Dockerfile.InFinalStage("COPY"), c => c.Arguments.StartsWith("--from=build ", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_make_the_node_pid_1_when_the_container_starts()
    {
        var entrypoint = Dockerfile.ExecFormEntrypoint();
        Assert.True(entrypoint is not null,
            "ENTRYPOINT must be in exec form (a JSON array): in shell form /bin/sh is PID 1 and SIGTERM never reaches the node");
        Assert.Equal(["dotnet", "ActorService.Node.dll"], entrypoint);
        Assert.Empty(Dockerfile.InFinalStage("CMD")); // arguments belong in env vars, where the manifests set them
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "ActorService.Node.dll")), "the entrypoint names the node's assembly");
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_run_as_the_pods_non_root_user_when_the_image_runs(string overlay)
    {
        var user = Dockerfile.InFinalStage("USER").LastOrDefault()?.Arguments;
        Assert.True(int.TryParse(user?.Split(':')[0], out var uid) && uid > 0,
            $"the final stage's USER must be a numeric non-root uid (Kubernetes verifies runAsNonRoot only for numbers), not '{user}'");
        var o = await RenderedOverlay.OfRepo(overlay);
        Assert.True(o.Pod.SecurityContext.RunAsUser == uid, $"overlay '{overlay}': runAsUser {o.Pod.SecurityContext.RunAsUser} differs from the image's USER {uid}");
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_expose_the_ports_the_node_listens_on_when_the_image_runs(string overlay)
    {
        // The node's configuration inside the image: the image's hocon.conf under the image's ENV, read by the node's loader.
        var env = Dockerfile.FinalEnvironment();
        var config = HoconLoader.Load(NodeOptions.Parse(["--config", Repo.HoconFile],
            name => env.GetValueOrDefault(name)));
        Assert.Equal("0.0.0.0", config.GetString("actor-service.http.host"));
        var o = await RenderedOverlay.OfRepo(overlay);
        var management = config.HasPath("akka.management.http.port")
            ? config.GetInt("akka.management.http.port")
            : int.Parse(o.Node.Env.Single(e => e.Name == "ACTORSERVICE_MANAGEMENT_PORT").Value);
        var listens = new SortedSet<int> { config.GetInt("actor-service.http.port"), config.GetInt("akka.remote.dot-netty.tcp.port"), management };

        Assert.Equal(listens, new SortedSet<int>(Dockerfile.ExposedPorts()));
        Assert.Equal(listens, new SortedSet<int>(o.Node.Ports.Select(p => p.ContainerPort)));
        Assert.Equal(["http", "management", "remoting"], o.Node.Ports.Select(p => p.Name).Order());
    }

    [Fact]
    public void Should_ship_hocon_conf_next_to_the_node_when_the_image_is_built()
    {
        Assert.Contains(Dockerfile.InFinalStage("COPY"), c => c.Arguments == "hocon.conf ./hocon.conf");
        Assert.Contains(Dockerfile.InFinalStage("WORKDIR"), w => w.Arguments == "/app");
    }
}
