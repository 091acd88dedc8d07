using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>One real node process shared by a spec class (contract specs don't disturb each other: every test uses its own accounts).</summary>
public sealed class SingleNodeFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token";
    public NodeProcess Node { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("contract")) with { AdminToken = AdminToken });

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}
