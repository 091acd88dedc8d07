using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// Every answer of an entity says what happened: refusals keep their key, the applied flag names the request that
/// applied the write, and a write whose commit got no answer is "outcome unknown", never "not applied".
/// </summary>
public sealed class AccountOutcomeSpecs : Akka.Hosting.TestKit.TestKit
{
    private SqliteLedgerStore _store = null!;
    private IActorRef _db = null!, _cache = null!;

    public AccountOutcomeSpecs() : base(nameof(AccountOutcomeSpecs)) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", HoconAddMode.Prepend);

    protected override async Task BeforeTestStart()
    {
        var settings = LedgerTestBed.Db(LedgerTestBed.NewDir("outcome"));
        _store = await LedgerTestBed.OpenStore(settings);
        _db = Sys.ActorOf(LedgerDbActor.Props(_store, settings, LedgerMetrics.For(Sys)));
        _cache = Sys.ActorOf(SnapshotCacheActor.Props(new InProcessSnapshotCache(100)));
    }

    private IActorRef Account(string id, IActorRef? db = null) =>
        Sys.ActorOf(AccountProps.For(id, new AccountEnvironment(db ?? _db, _cache, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))));

    private static ApplyWrite Write(string id, LedgerOperation op, long amount, string key, string? request = null) =>
        new(id, op, amount, key, request ?? "r-" + key, TraceParent: null);

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Answers the entity's load (after its cache miss) with "never written".</summary>
    internal static async Task LoadedAsNew(TestProbe db, string id)
    {
        var load = (LedgerDbCommands.LoadAccount)await db.FishForMessageAsync(m => m is LedgerDbCommands.LoadAccount);
        db.Reply(new LedgerDbReplies.AccountLoaded(id, null, load.RequestId));
    }

    [Fact]
    public async Task Should_refuse_a_repeat_the_same_way_when_a_refused_withdrawal_is_retried_after_a_deposit()
    {
        var account = Account("o1");
        account.Tell(Write("o1", LedgerOperation.Deposit, 10, "d1"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Write("o1", LedgerOperation.Withdraw, 100, "K"));
        Assert.Equal(new InsufficientFunds("o1", 10, 100, 1), await ExpectMsgAsync<InsufficientFunds>());
        account.Tell(Write("o1", LedgerOperation.Deposit, 1000, "d2"));
        await ExpectMsgAsync<WriteAccepted>();

        account.Tell(Write("o1", LedgerOperation.Withdraw, 100, "K", request: "a-later-request"));
        Assert.Equal(new InsufficientFunds("o1", 10, 100, 1), await ExpectMsgAsync<InsufficientFunds>());
        Assert.Equal(new AccountSnapshot("o1", 1010, 2), await _store.LoadAccountAsync("o1", CancellationToken.None));
    }

    [Fact]
    public async Task Should_refuse_a_repeat_the_same_way_when_another_activation_refused_it()
    {
        var first = Account("o2");
        first.Tell(Write("o2", LedgerOperation.Withdraw, 100, "K"));
        Assert.Equal(new InsufficientFunds("o2", 0, 100, 0), await ExpectMsgAsync<InsufficientFunds>());
        await first.GracefulStop(TimeSpan.FromSeconds(5), StopEntity.Instance);
        await _store.CommitAsync([new PendingWrite("o2", LedgerOperation.Deposit, 500, "elsewhere", 0, 500)], CancellationToken.None);

        // The new activation does not remember K: the database does, and the balance (500) would now allow it.
        Account("o2").Tell(Write("o2", LedgerOperation.Withdraw, 100, "K", request: "retry"));
        Assert.Equal(new InsufficientFunds("o2", 0, 100, 0), await ExpectMsgAsync<InsufficientFunds>());
        Assert.Equal(500, (await _store.LoadAccountAsync("o2", CancellationToken.None))!.Balance);
    }

    [Fact]
    public async Task Should_refuse_on_the_database_state_when_a_refusal_was_decided_on_a_stale_cached_snapshot()
    {
        await _store.CommitAsync([new PendingWrite("o3", LedgerOperation.Deposit, 5, "a", 0, 5)], CancellationToken.None);
        await _store.CommitAsync([new PendingWrite("o3", LedgerOperation.Withdraw, 5, "b", 1, 0)], CancellationToken.None);
        var entries = new InProcessSnapshotCache(10);
        await entries.PutAsync(new AccountSnapshot("o3", 5, 1)); // stale: the database is at 0, version 2
        var cache = Sys.ActorOf(SnapshotCacheActor.Props(entries));
        var account = Sys.ActorOf(AccountProps.For("o3", new AccountEnvironment(_db, cache, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))));
        account.Tell(Write("o3", LedgerOperation.Withdraw, 3, "K"));
        Assert.Equal(new InsufficientFunds("o3", 0, 3, 2), await ExpectMsgAsync<InsufficientFunds>());
    }

    [Fact]
    public async Task Should_answer_outcome_unknown_when_the_commit_gets_no_answer()
    {
        var db = CreateTestProbe();
        var account = Account("u1", db.Ref);
        account.Tell(Write("u1", LedgerOperation.Deposit, 5, "k"));
        await LoadedAsNew(db, "u1");
        await db.ExpectMsgAsync<LedgerDbCommands.Commit>(); // ... and never answered
        Scheduler.Advance(LedgerTestBed.Accounts().CommitTimeout);
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());
    }

    [Fact]
    public async Task Should_answer_outcome_unknown_when_the_database_fails_mid_commit()
    {
        var db = CreateTestProbe();
        var account = Account("u2", db.Ref);
        account.Tell(Write("u2", LedgerOperation.Deposit, 5, "k"));
        await LoadedAsNew(db, "u2");
        var commit = await db.ExpectMsgAsync<LedgerDbCommands.Commit>();
        db.Reply(new LedgerDbReplies.Unavailable(commit.CommitId, "database error: connection reset"));
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());
    }

    [Fact]
    public async Task Should_answer_unavailable_when_the_state_cannot_be_loaded_before_anything_was_committed()
    {
        var db = CreateTestProbe();
        var account = Account("u3", db.Ref);
        account.Tell(Write("u3", LedgerOperation.Deposit, 5, "k"));
        var load = (LedgerDbCommands.LoadAccount)await db.FishForMessageAsync(m => m is LedgerDbCommands.LoadAccount);
        db.Reply(new LedgerDbReplies.Unavailable(load.RequestId, "database error: no connection"));
        Assert.IsType<Unavailable>(await ExpectMsgAsync<IAccountReply>());
        await db.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // and no commit was ever sent
    }

    [Fact]
    public async Task Should_answer_unavailable_not_unknown_when_the_database_is_closed_before_the_commit()
    {
        var account = Account("u7");
        account.Tell(new GetBalance("u7", null));
        await ExpectMsgAsync<NotFound>(); // loaded while the database was open
        await _db.Ask<Resources.ResourceReplies.Closed>(Resources.ResourceCommands.Close.Instance, TimeSpan.FromSeconds(10));
        account.Tell(Write("u7", LedgerOperation.Deposit, 5, "k"));
        Assert.IsType<Unavailable>(await ExpectMsgAsync<IAccountReply>()); // the commit was refused unstarted: certainly not applied
    }

    [Fact]
    public async Task Should_answer_outcome_unknown_when_the_entity_fails_with_a_commit_in_flight()
    {
        var db = CreateTestProbe();
        var account = Account("u4", db.Ref);
        account.Tell(Write("u4", LedgerOperation.Deposit, 5, "k"));
        await LoadedAsNew(db, "u4");
        var commit = await db.ExpectMsgAsync<LedgerDbCommands.Commit>();
        db.Reply(new LedgerDbReplies.CommitDone(commit.CommitId, new NotAnOutcome())); // makes the entity throw mid-commit
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());
    }

    [Fact]
    public async Task Should_answer_failed_when_the_entity_fails_before_committing()
    {
        var account = Account("u5");
        account.Tell(Write("u5", LedgerOperation.Deposit, 0, "poison")); // an amount the HTTP layer never lets through
        Assert.IsType<Failed>(await ExpectMsgAsync<IAccountReply>());
    }

    [Fact]
    public async Task Should_answer_unknown_for_the_commit_in_flight_and_unavailable_for_the_queue_when_stopped_abruptly()
    {
        var db = CreateTestProbe();
        var account = Account("u6", db.Ref);
        account.Tell(Write("u6", LedgerOperation.Deposit, 5, "k1"));
        await LoadedAsNew(db, "u6");
        await db.ExpectMsgAsync<LedgerDbCommands.Commit>();
        var second = CreateTestProbe();
        account.Tell(Write("u6", LedgerOperation.Deposit, 6, "k2"), second.Ref); // waits behind the commit
        account.Tell(new GetBalance("u6", null), second.Ref); // answered at once: so the write before it was queued
        await second.ExpectMsgAsync<NotFound>();
        Sys.Stop(account); // what sharding does when a hand-off outlasts its deadline
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());
        Assert.IsType<Unavailable>(await second.ExpectMsgAsync<IAccountReply>());
    }

    /// <summary>An outcome the entity does not know: the only way to make it fail while a commit is in flight.</summary>
    private sealed record NotAnOutcome : WriteOutcome;
}
