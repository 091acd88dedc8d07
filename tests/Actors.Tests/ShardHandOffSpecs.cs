using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Xunit;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// A shard region handing off (what CoordinatedShutdown's cluster-sharding-shutdown-region phase does): entities
/// process every command already queued before the hand-off stop message stops them — not PoisonPill semantics.
/// </summary>
public sealed class ShardHandOffSpecs : Akka.Hosting.TestKit.TestKit
{
    private readonly string _dir = LedgerTestBed.NewDir("handoff");
    private SqliteLedgerStore? _store;

    public ShardHandOffSpecs() : base(nameof(ShardHandOffSpecs), TestContext.Current.TestOutputHelper) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var db = LedgerTestBed.Db(_dir);
        _store = LedgerTestBed.OpenStore(db).GetAwaiter().GetResult();
        builder.AddHocon(LedgerTestBed.SingleNodeClusterHocon, HoconAddMode.Prepend)
            .WithLedgerDb(_store, db)
            .WithSnapshotCache(new InProcessSnapshotCache(100))
            .WithAccountSharding(LedgerTestBed.Accounts());
    }

    protected override Task BeforeTestStart() => LedgerTestBed.JoinSelfAsync(Sys);

    [Fact]
    public async Task Should_process_every_queued_command_before_stopping_when_the_region_hands_off()
    {
        var region = await ActorRegistry.GetAsync<AccountRegion>();
        var client = CreateTestProbe();
        region.Tell(new AccountCommands.GetBalance("h1", null), client.Ref);
        await client.ExpectMsgAsync<NotFound>(TimeSpan.FromSeconds(10));

        // Ten slow writes queue behind each other in the entity; then the region hands its shards off.
        for (var i = 1; i <= 10; i++)
            region.Tell(new AccountCommands.ApplyWrite("h1", LedgerOperation.Deposit, i, $"k{i}", $"r{i}", null, TimeSpan.FromMilliseconds(100)), client.Ref);
        client.Watch(region);
        region.Tell(GracefulShutdown.Instance, client.Ref);

        var balances = new List<long>();
        for (var i = 0; i < 10; i++) balances.Add((await client.ExpectMsgAsync<WriteAccepted>(TimeSpan.FromSeconds(10))).Balance);
        await client.ExpectTerminatedAsync(region, TimeSpan.FromSeconds(10));

        Assert.Equal(Enumerable.Range(1, 10).Select(n => (long)(n * (n + 1) / 2)), balances);
        Assert.Equal(55, (await _store!.LoadAccountAsync("h1", CancellationToken.None))!.Balance);
    }
}
