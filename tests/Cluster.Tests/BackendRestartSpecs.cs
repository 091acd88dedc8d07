using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// The cluster's backing servers failing under load (issue 13 item 4): PostgreSQL restarted (fast shutdown: open
/// sessions cut, their transactions rolled back) and Redis killed with SIGKILL and started again, each on its own
/// private server on the same port, three real nodes behind HAProxy, the ordinary client's open-loop load. Writes
/// during the outage may fail, but the history checker must find every answer true: nothing acknowledged lost,
/// nothing doubled, no stale read (Redis comes back with every snapshot it acknowledged, from its fsynced log: an
/// old cached state must never be served as the account's).
/// </summary>
public sealed class BackendRestartSpecs
{
    private static async Task<(PrivateServices Services, ClusterScenario S)> StartAsync(string name)
    {
        var services = await PrivateServices.StartAsync(redisAof: true);
        try
        {
            var storage = new ClusterStorage(await services.NewDatabaseAsync(name), services.Redis);
            return (services, await ClusterScenario.StartAsync(name, HaproxyConfig.RetryConnectFailures, ClientModel.Ordinary, storage: storage));
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Should_lose_double_and_show_stale_nothing_when_postgres_restarts_under_load()
    {
        var (services, s) = await StartAsync("pgrestart");
        await using var _ = services;
        await using var __ = s;
        s.Load.Start();
        await s.LoadCompletes(900, "a steady state before the restart");

        var stopAt = s.Load.Mark("PostgreSQL stopped (fast)");
        await services.StopPostgresAsync();
        await s.LoadCompletes(300, "load while PostgreSQL is down");
        await services.StartPostgresAsync();
        var startAt = s.Load.Mark("PostgreSQL started again");
        await s.LoadCompletes(1500, "load after PostgreSQL came back");

        await FaultRun.FinishAsync(s, "PostgreSQL restarted under load (3 nodes, 300 req/s, ordinary client)", stopAt, null,
            [$"PostgreSQL down for {LoadReport.Ms(startAt - stopAt)}", $"nodes still running: {s.Cluster.Running.Count()} of 3"]);
        Assert.Equal(3, s.Cluster.Running.Count());
    }

    [Fact]
    public async Task Should_lose_double_and_show_stale_nothing_when_redis_is_killed_and_restarted_under_load()
    {
        var (services, s) = await StartAsync("redisrestart");
        await using var _ = services;
        await using var __ = s;
        s.Load.Start();
        await s.LoadCompletes(900, "a steady state before the kill");

        var killAt = s.Load.Mark("Redis killed (SIGKILL)");
        await services.KillRedisAsync();
        await s.LoadCompletes(600, "load while Redis is down");
        await services.StartRedisAsync();
        var startAt = s.Load.Mark("Redis started again (reloads its fsynced log)");
        await s.LoadCompletes(1500, "load after Redis came back");

        await FaultRun.FinishAsync(s, "Redis killed and restarted under load (3 nodes, 300 req/s, ordinary client)", killAt, null,
            [$"Redis down for {LoadReport.Ms(startAt - killAt)}", $"nodes still running: {s.Cluster.Running.Count()} of 3"]);
        Assert.Equal(3, s.Cluster.Running.Count());
    }
}
