using System.Text.RegularExpressions;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Storage at the edges of a node's life: resources close in the order hocon.conf declares (and a changed order is
/// honoured), and a database or Redis that cannot be reached at start stops the node with a clear error and exit 1.
/// </summary>
public sealed class StorageLifecycleSpecs
{
    private static async Task<List<string>> CloseOrderOf(NodeLaunch launch)
    {
        await using var node = await NodeProcess.StartReadyAsync(launch);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await node.Http.Deposit("close-order", 5, key: "k")).Status);
        node.Signal(Signals.SIGTERM);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        return node.Lines.Select(l => Regex.Match(l, @"Closed resource (\w+) \((\d) of 3\)")).Where(m => m.Success)
            .Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public async Task Should_close_events_then_cache_then_db_when_the_default_order_is_configured()
    {
        var order = await CloseOrderOf(NodeLaunch.Single(Repo.NewWorkDir("close-default")));
        Assert.Equal(["events", "cache", "db"], order);
    }

    [Fact]
    public async Task Should_close_resources_in_the_changed_order_when_the_configuration_changes_it()
    {
        var launch = NodeLaunch.Single(Repo.NewWorkDir("close-changed")) with { Hocon = ["actor-service.drain.close-order = [cache, events, db]"] };
        Assert.Equal(["cache", "events", "db"], await CloseOrderOf(launch));
    }

    [Fact]
    public async Task Should_exit_with_a_clear_error_when_postgres_cannot_be_reached_at_start()
    {
        var closedPort = Ports.Free();
        var launch = NodeLaunch.Single(Repo.NewWorkDir("no-postgres")) with
        {
            ExtraArgs = ["--postgres", $"Host=127.0.0.1;Port={closedPort};Username=nobody;Password=secret-value;Timeout=3"],
        };
        await using var node = NodeProcess.Start(launch);
        Assert.Equal(ExitCodes.StartupFailed, await node.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains(node.Lines, l => l.Contains($"cannot open the postgres ledger database (127.0.0.1:{closedPort}/"));
        Assert.DoesNotContain(node.Lines, l => l.Contains("secret-value")); // the connection string is a secret
    }

    [Fact]
    public async Task Should_exit_with_a_clear_error_when_redis_cannot_be_reached_at_start()
    {
        var closedPort = Ports.Free();
        var launch = NodeLaunch.Single(Repo.NewWorkDir("no-redis")) with { ExtraArgs = ["--redis", $"127.0.0.1:{closedPort}"] };
        await using var node = NodeProcess.Start(launch);
        Assert.Equal(ExitCodes.StartupFailed, await node.WaitForExitAsync(TimeSpan.FromSeconds(45)));
        Assert.Contains(node.Lines, l => l.Contains($"cannot connect to Redis at 127.0.0.1:{closedPort}"));
    }
}
