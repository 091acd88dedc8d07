using ActorService.Actors.Accounts;
using ActorService.Actors.Diagnostics;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using Akka.Hosting;
using Akka.TestKit;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// <see cref="LedgerMetrics.EntityMailboxDepth"/>: what waits in account entities (mailboxes and stashes), counted by
/// <see cref="EntityMailbox"/> and the entity itself, rises while a commit holds an entity and falls back as it drains.
/// The counters belong to the spec's own ActorSystem (<see cref="LedgerMetrics.For"/>), so they start at zero and
/// specs running beside it in the same process never move them.
/// </summary>
public sealed class EntityMailboxSpecs : Akka.Hosting.TestKit.TestKit
{
    private readonly string _dir = LedgerTestBed.NewDir("mailbox");
    private IActorRef _db = null!;
    private IActorRef _cache = null!;

    public EntityMailboxSpecs() : base(nameof(EntityMailboxSpecs)) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", HoconAddMode.Prepend)
            .WithEntityMailbox();

    protected override async Task BeforeTestStart()
    {
        var db = LedgerTestBed.Db(_dir);
        _db = Sys.ActorOf(LedgerDbActor.Props(await LedgerTestBed.OpenStore(db), db, LedgerMetrics.For(Sys)), "db");
        _cache = Sys.ActorOf(SnapshotCacheActor.Props(new InProcessSnapshotCache(100)), "cache");
    }

    private IActorRef Account(string id) =>
        Sys.ActorOf(AccountProps.For(id, new AccountEnvironment(_db, _cache, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))).WithMailbox(EntityMailbox.ConfigPath));

    private static ApplyWrite Deposit(string id, long amount, string key, int delayMs = 0) =>
        new(id, LedgerOperation.Deposit, amount, key, RequestId: "r-" + key, TraceParent: null, delayMs > 0 ? TimeSpan.FromMilliseconds(delayMs) : null);

    private LedgerMetrics Metrics => LedgerMetrics.For(Sys);

    private Task DepthReaches(long expected, string what) =>
        AwaitConditionAsync(() => Task.FromResult(Metrics.EntityMailboxDepth == expected), TimeSpan.FromSeconds(5),
            message: $"entity mailbox depth {Metrics.EntityMailboxDepth}, expected {expected}: {what}");

    [Fact]
    public async Task Should_count_commands_waiting_behind_a_held_commit_until_they_are_applied()
    {
        var account = Account("md1");
        account.Tell(Deposit("md1", 1, "k1", delayMs: 500)); // held on the test scheduler until time is advanced
        for (var i = 2; i <= 5; i++) account.Tell(Deposit("md1", i, $"k{i}"));
        await DepthReaches(4, "four writes wait behind the held one");

        var scheduler = (TestScheduler)Sys.Scheduler;
        var balances = new List<long>();
        while (balances.Count < 5)
        {
            scheduler.Advance(TimeSpan.FromMilliseconds(100));
            if (await ReceiveOneAsync(TimeSpan.FromMilliseconds(100)) is WriteAccepted w) balances.Add(w.Balance);
        }
        Assert.Equal([1, 3, 6, 10, 15], balances);
        await DepthReaches(0, "every write was applied");
    }

    [Fact]
    public async Task Should_stop_counting_stashed_commands_when_the_entity_stops_with_them()
    {
        var account = Account("md2");
        Watch(account);
        account.Tell(Deposit("md2", 1, "k1", delayMs: 500));
        for (var i = 2; i <= 4; i++) account.Tell(Deposit("md2", i, $"k{i}"));
        await DepthReaches(3, "three writes wait behind the held one");

        Sys.Stop(account);
        for (var i = 0; i < 4; i++) await ExpectMsgAsync<Unavailable>(); // the held write and the three stashed ones
        await ExpectTerminatedAsync(account);
        await DepthReaches(0, "a stopped entity holds nothing");
    }

    [Fact]
    public void Should_count_a_message_from_enqueue_to_dequeue_and_drop_the_rest_when_cleaned_up()
    {
        var queue = new EntityMailbox.CountingQueue(Metrics);
        for (var i = 0; i < 3; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
        Assert.Equal(3, Metrics.EntityMailboxDepth);

        Assert.True(queue.TryDequeue(out var first));
        Assert.Equal(2, Metrics.EntityMailboxDepth);
        queue.EnqueueFirst(first); // what UnstashAll does
        Assert.Equal(3, Metrics.EntityMailboxDepth);

        var deadLetters = new UnboundedMessageQueue();
        queue.CleanUp(ActorRefs.Nobody, deadLetters);
        Assert.Equal(3, deadLetters.Count);
        Assert.Equal(0, Metrics.EntityMailboxDepth);
        queue.Enqueue(ActorRefs.Nobody, new Envelope("late", ActorRefs.NoSender)); // raced in after clean-up: never dequeued
        Assert.Equal(0, Metrics.EntityMailboxDepth);
    }
}
