using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Hosting;
using Akka.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// A read is never answered from state the database has not confirmed, and never from a state older than one already
/// acknowledged (issue 13): not while a write commits on a cached basis, not after a commit with an unknown outcome,
/// not from a late reply to an earlier incarnation, and not from memory while a cluster member is unreachable.
/// </summary>
public sealed class AccountFreshnessSpecs : Akka.Hosting.TestKit.TestKit
{
    private readonly InProcessSnapshotCache _entries = new(100);
    private SqliteLedgerStore _store = null!;
    private Settings.DbSettings _dbSettings = null!;
    private IActorRef _db = null!, _cache = null!;

    public AccountFreshnessSpecs() : base(nameof(AccountFreshnessSpecs)) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", HoconAddMode.Prepend);

    protected override async Task BeforeTestStart()
    {
        _dbSettings = LedgerTestBed.Db(LedgerTestBed.NewDir("fresh"));
        _store = await LedgerTestBed.OpenStore(_dbSettings);
        _db = Sys.ActorOf(LedgerDbActor.Props(_store, _dbSettings, LedgerMetrics.For(Sys)));
        _cache = Sys.ActorOf(SnapshotCacheActor.Props(_entries));
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private IActorRef Account(string id, IActorRef? db = null, ReachabilitySignal? signal = null) =>
        Sys.ActorOf(AccountProps.For(id, new AccountEnvironment(db ?? _db, _cache, LedgerTestBed.Accounts(), NullLogger.Instance, signal ?? new ReachabilitySignal(), LedgerMetrics.For(Sys))));

    private static ApplyWrite Deposit(string id, long amount, string key, int delayMs = 0) =>
        new(id, LedgerOperation.Deposit, amount, key, "r-" + key, null, delayMs > 0 ? TimeSpan.FromMilliseconds(delayMs) : null);

    private Task Commit(string id, long amount, string key, long expectedVersion, long newBalance) =>
        _store.CommitAsync([new PendingWrite(id, LedgerOperation.Deposit, amount, key, expectedVersion, newBalance)], CancellationToken.None);

    [Fact]
    public async Task Should_not_answer_a_read_from_a_stale_cached_basis_when_a_write_is_committing()
    {
        await Commit("f1", 5, "a", 0, 5);
        await _store.CommitAsync([new PendingWrite("f1", LedgerOperation.Withdraw, 5, "b", 1, 0)], CancellationToken.None);
        await _entries.PutAsync(new AccountSnapshot("f1", 5, 1)); // stale: the database holds 0 at version 2
        var account = Account("f1");
        account.Tell(Deposit("f1", 1, "k", delayMs: 500)); // decided on the cached basis, held in the committing state
        account.Tell(new GetBalance("f1", null));

        // The read must wait for the database's word: the stale 5 at version 1 is never an answer.
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        Scheduler.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(new WriteAccepted("f1", 1, 3, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        Assert.Equal(new Balance("f1", 1, 3), await ExpectMsgAsync<Balance>());
    }

    [Fact]
    public async Task Should_reload_only_after_the_commit_in_flight_is_answered_when_the_commit_timed_out()
    {
        var held = new HeldCommitStore(_store);
        var db = Sys.ActorOf(LedgerDbActor.Props(held, _dbSettings, LedgerMetrics.For(Sys)));
        var account = Account("f2", db);
        account.Tell(Deposit("f2", 7, "k"));
        await held.CommitWaiting.WaitAsync(TimeSpan.FromSeconds(10)); // the commit is with the database, which is slow
        Scheduler.Advance(LedgerTestBed.Accounts().CommitTimeout);
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());

        // The entity reloads, but its load waits behind the commit: no answer from the state before the commit.
        account.Tell(new GetBalance("f2", null));
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, held.Loads); // only the activation's load so far
        held.Release();
        Assert.Equal(new Balance("f2", 7, 1), await ExpectMsgAsync<Balance>(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Should_drop_a_commit_still_queued_at_its_deadline_and_answer_it_exactly_once()
    {
        var held = new HeldCommitStore(_store);
        var db = Sys.ActorOf(LedgerDbActor.Props(held, _dbSettings, LedgerMetrics.For(Sys)));
        var first = new PendingWrite("f3", LedgerOperation.Deposit, 1, "first", 0, 1);
        var late = new PendingWrite("f3b", LedgerOperation.Deposit, 2, "late", 0, 2);
        db.Tell(new LedgerDbCommands.Commit(1001, first));
        await held.CommitWaiting.WaitAsync(TimeSpan.FromSeconds(10));
        db.Tell(new LedgerDbCommands.Commit(1002, late, Deadline: System.Diagnostics.Stopwatch.GetTimestamp())); // its entity gave up already
        db.Tell(new LedgerDbCommands.LoadAccount("f3b", 1003));
        held.Release();

        Assert.Equal(1001, (await ExpectMsgAsync<LedgerDbReplies.CommitDone>()).CommitId);
        Assert.Equal(1002, (await ExpectMsgAsync<LedgerDbReplies.CommitDropped>()).CommitId);
        Assert.Equal(new LedgerDbReplies.AccountLoaded("f3b", null, 1003), await ExpectMsgAsync<LedgerDbReplies.AccountLoaded>());
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Null(await _store.LoadAccountAsync("f3b", CancellationToken.None));
    }

    [Fact]
    public async Task Should_ignore_a_late_reply_to_an_earlier_incarnation_when_the_entity_restarted()
    {
        var db = CreateTestProbe();
        var account = Account("f4", db.Ref);
        account.Tell(Deposit("f4", 5, "k1"));
        await AccountOutcomeSpecs.LoadedAsNew(db, "f4");
        var oldCommit = await db.ExpectMsgAsync<LedgerDbCommands.Commit>();
        Scheduler.Advance(LedgerTestBed.Accounts().CommitTimeout);
        Assert.IsType<OutcomeUnknown>(await ExpectMsgAsync<IAccountReply>());
        await AccountOutcomeSpecs.LoadedAsNew(db, "f4"); // the reload after the unknown outcome

        account.Tell(Deposit("f4", 0, "poison")); // the entity fails and restarts, losing everything in memory
        Assert.IsType<Failed>(await ExpectMsgAsync<IAccountReply>());
        await AccountOutcomeSpecs.LoadedAsNew(db, "f4");
        account.Tell(Deposit("f4", 6, "k3"));
        var newCommit = await db.ExpectMsgAsync<LedgerDbCommands.Commit>();

        // The old commit's answer comes in late: it is not the new write's outcome.
        account.Tell(new LedgerDbReplies.CommitDone(oldCommit.CommitId, new WriteOutcome.Committed(1)), db.Ref);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        account.Tell(new LedgerDbReplies.CommitDone(newCommit.CommitId, new WriteOutcome.Committed(1)), db.Ref);
        Assert.Equal(new WriteAccepted("f4", 6, 1, Applied: true), await ExpectMsgAsync<WriteAccepted>());
    }

    [Fact]
    public async Task Should_read_from_the_database_and_not_from_memory_when_a_cluster_member_is_unreachable()
    {
        var signal = new ReachabilitySignal();
        var account = Account("f5", signal: signal);
        account.Tell(Deposit("f5", 10, "k"));
        Assert.Equal(new WriteAccepted("f5", 10, 1, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        await Commit("f5", 5, "elsewhere", 1, 15); // a new activation on the other side of a partition wrote it

        signal.Report(anyUnreachable: true);
        account.Tell(new GetBalance("f5", null));
        Assert.Equal(new Balance("f5", 15, 2), await ExpectMsgAsync<Balance>());
        account.Tell(new GetBalance("f5", null));
        Assert.Equal(new Balance("f5", 15, 2), await ExpectMsgAsync<Balance>());
    }

    [Fact]
    public async Task Should_read_from_the_database_and_not_from_memory_when_a_member_was_just_downed()
    {
        var signal = new ReachabilitySignal();
        var account = Account("f6", signal: signal);
        account.Tell(Deposit("f6", 10, "k"));
        Assert.Equal(new WriteAccepted("f6", 10, 1, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        await Commit("f6", 5, "downed", 1, 15); // the downed node, not yet stopped, still committed a write

        signal.ReportDowned(recentlyDowned: true);
        account.Tell(new GetBalance("f6", null));
        Assert.Equal(new Balance("f6", 15, 2), await ExpectMsgAsync<Balance>());
    }
}
