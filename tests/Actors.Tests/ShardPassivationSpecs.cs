using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Hosting;
using Xunit;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// Idle passivation is the shard's job (<c>accounts.passivate-after</c> becomes the region's passivate-idle-entity-after):
/// an entity nobody wrote to for that long is stopped with StopEntity, and the next command activates a new one that
/// reloads the account from the database.
/// </summary>
public sealed class ShardPassivationSpecs : Akka.Hosting.TestKit.TestKit
{
    private static readonly TimeSpan PassivateAfter = TimeSpan.FromSeconds(1);
    private readonly string _dir = LedgerTestBed.NewDir("passivation");

    public ShardPassivationSpecs() : base(nameof(ShardPassivationSpecs), TestContext.Current.TestOutputHelper) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        var db = LedgerTestBed.Db(_dir);
        var store = LedgerTestBed.OpenStore(db).GetAwaiter().GetResult();
        builder.AddHocon(LedgerTestBed.SingleNodeClusterHocon, HoconAddMode.Prepend)
            .WithLedgerDb(store, db)
            .WithSnapshotCache(new InProcessSnapshotCache(100))
            .WithAccountSharding(LedgerTestBed.Accounts(PassivateAfter));
    }

    protected override Task BeforeTestStart() => LedgerTestBed.JoinSelfAsync(Sys);

    [Fact]
    public async Task Should_stop_an_idle_entity_and_reload_its_state_when_it_is_needed_again()
    {
        var region = await ActorRegistry.GetAsync<AccountRegion>();
        var client = CreateTestProbe();
        region.Tell(new AccountCommands.ApplyWrite("p1", LedgerOperation.Deposit, 5, "k1", "r1", null), client.Ref);
        Assert.Equal(5, (await client.ExpectMsgAsync<WriteAccepted>(TimeSpan.FromSeconds(10))).Balance);
        var first = client.LastSender;

        client.Watch(first);
        // Idle entities are checked every half of passivate-after: stopped between 1 and 1.5 passivate-after, plus load.
        await client.ExpectTerminatedAsync(first, TimeSpan.FromSeconds(15));

        region.Tell(new AccountCommands.GetBalance("p1", null), client.Ref);
        Assert.Equal(5, (await client.ExpectMsgAsync<Balance>(TimeSpan.FromSeconds(10))).Value);
        Assert.NotEqual(first, client.LastSender); // a new activation, which loaded the balance from the database
    }
}
