using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// One node, built in the test process, shared by a spec class (contract specs don't disturb each other: every test
/// uses its own accounts).
/// </summary>
public class SingleNodeFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";
    public InProcessNode Node { get; private set; } = null!;

    /// <summary>The embedded default: SQLite and the in-process cache.</summary>
    protected virtual Task<NodeLaunch> LaunchAsync() =>
        Task.FromResult(NodeLaunch.Single(Repo.NewWorkDir("contract")) with { AdminToken = AdminToken });

    public async ValueTask InitializeAsync() => Node = await InProcessNode.StartReadyAsync(await LaunchAsync());

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>The clustered storage: a fresh PostgreSQL database and the Redis cache and event stream (the private test servers).</summary>
public sealed class PostgresRedisNodeFixture : SingleNodeFixture
{
    protected override async Task<NodeLaunch> LaunchAsync() =>
        (await base.LaunchAsync()).WithPostgresAndRedis(await TestServices.NewPostgresDatabase("contract"), TestServices.Redis);
}
