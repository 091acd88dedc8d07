using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.TestKit;
using Akka.Util.Internal;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>The account entity against a real db actor and SQLite file: the ledger rules and the failure rules.</summary>
public sealed class AccountActorSpecs : Akka.Hosting.TestKit.TestKit
{
    private readonly string _dir = LedgerTestBed.NewDir("account");
    private SqliteLedgerStore _store = null!;
    private IActorRef _db = null!;
    private IActorRef _cache = null!;

    public AccountActorSpecs() : base(nameof(AccountActorSpecs)) { }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.AddHocon("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"", HoconAddMode.Prepend);

    protected override async Task BeforeTestStart()
    {
        var db = LedgerTestBed.Db(_dir);
        _store = await LedgerTestBed.OpenStore(db);
        _db = Sys.ActorOf(LedgerDbActor.Props(_store, db, LedgerMetrics.For(Sys)), "db");
        _cache = Sys.ActorOf(SnapshotCacheActor.Props(new InProcessSnapshotCache(100)), "cache");
    }

    private IActorRef Account(string id, TimeSpan? passivateAfter = null) =>
        Sys.ActorOf(AccountProps.For(id, new AccountEnvironment(_db, _cache, LedgerTestBed.Accounts(passivateAfter), LedgerMetrics.For(Sys))));

    private static ApplyWrite Deposit(string id, long amount, string key, int delayMs = 0) =>
        new(id, LedgerOperation.Deposit, amount, key, RequestId: "r-" + key, TraceParent: null, delayMs > 0 ? TimeSpan.FromMilliseconds(delayMs) : null);

    private static ApplyWrite Withdraw(string id, long amount, string key) =>
        new(id, LedgerOperation.Withdraw, amount, key, RequestId: "r-" + key, TraceParent: null);

    /// <summary>Advances the test scheduler until the message arrives: the entity's delay timers run on it.</summary>
    private async Task<T> ExpectAdvancingTime<T>()
    {
        var scheduler = (TestScheduler)Sys.Scheduler;
        for (var i = 0; i < 100; i++)
        {
            scheduler.Advance(TimeSpan.FromMilliseconds(50));
            var got = await ReceiveOneAsync(TimeSpan.FromMilliseconds(50));
            if (got is T t) return t;
            if (got is not null) throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {got}");
        }
        throw new TimeoutException($"no {typeof(T).Name} while advancing time");
    }

    [Fact]
    public async Task Should_apply_deposit_and_persist_it_when_the_commit_succeeds()
    {
        var account = Account("a1");
        account.Tell(Deposit("a1", 130, "k1"));
        var accepted = await ExpectMsgAsync<WriteAccepted>();
        Assert.Equal(new WriteAccepted("a1", 130, 1, Applied: true), accepted);
        var stored = await _store.LoadAccountAsync("a1", CancellationToken.None);
        Assert.Equal(130, stored?.Balance);
    }

    [Fact]
    public async Task Should_report_not_found_when_the_account_was_never_written()
    {
        Account("ghost").Tell(new GetBalance("ghost", null));
        Assert.Equal(new NotFound("ghost"), await ExpectMsgAsync<NotFound>());
    }

    [Fact]
    public async Task Should_reject_withdrawal_when_balance_is_lower_than_the_amount()
    {
        var account = Account("a2");
        account.Tell(Deposit("a2", 50, "d1"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Withdraw("a2", 80, "w1"));
        Assert.Equal(new InsufficientFunds("a2", 50, 80, 1), await ExpectMsgAsync<InsufficientFunds>());
        account.Tell(new GetBalance("a2", null));
        Assert.Equal(50, (await ExpectMsgAsync<Balance>()).Value);
    }

    [Fact]
    public async Task Should_return_the_original_outcome_when_a_write_is_repeated_with_the_same_key()
    {
        var account = Account("a3");
        account.Tell(Deposit("a3", 100, "k"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Deposit("a3", 5, "other"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Deposit("a3", 100, "k") with { RequestId = "a-separate-request" });
        Assert.Equal(new WriteAccepted("a3", 100, 1, Applied: false), await ExpectMsgAsync<WriteAccepted>());
        Assert.Equal(105, (await _store.LoadAccountAsync("a3", CancellationToken.None))!.Balance);
    }

    [Fact]
    public async Task Should_reject_key_reuse_when_amount_or_operation_differs()
    {
        var account = Account("a4");
        account.Tell(Deposit("a4", 100, "k"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Deposit("a4", 101, "k"));
        Assert.Equal(new KeyReused("a4", "k", LedgerOperation.Deposit, 100), await ExpectMsgAsync<KeyReused>());
        account.Tell(Withdraw("a4", 100, "k"));
        await ExpectMsgAsync<KeyReused>();
    }

    [Fact]
    public async Task Should_answer_a_repeat_from_the_database_when_another_activation_applied_it()
    {
        var first = Account("a5");
        first.Tell(Deposit("a5", 70, "k"));
        await ExpectMsgAsync<WriteAccepted>();
        await first.GracefulStop(TimeSpan.FromSeconds(5), StopEntity.Instance);

        // A fresh activation never saw key "k": only the database knows it was applied, at version 1 with balance 70.
        var second = Account("a5");
        second.Tell(Deposit("a5", 5, "k2"));
        await ExpectMsgAsync<WriteAccepted>();
        // The gateway's re-send of the request that applied it (same request id) is still that request: applied.
        second.Tell(new ApplyWrite("a5", LedgerOperation.Deposit, 70, "k", RequestId: "r-k", TraceParent: null));
        Assert.Equal(new WriteAccepted("a5", 70, 1, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        // Another request with the same key (say the client's retry after a lost answer) gets the same outcome, not applied again.
        var third = Account("a5");
        third.Tell(new ApplyWrite("a5", LedgerOperation.Deposit, 70, "k", RequestId: "another-request", TraceParent: null));
        Assert.Equal(new WriteAccepted("a5", 70, 1, Applied: false), await ExpectMsgAsync<WriteAccepted>());
        third.Tell(new GetBalance("a5", null));
        Assert.Equal(new Balance("a5", 75, 2), await ExpectMsgAsync<Balance>());
    }

    [Fact]
    public async Task Should_reload_committed_state_when_activated_again()
    {
        var first = Account("a6");
        first.Tell(Deposit("a6", 40, "k1"));
        first.Tell(Withdraw("a6", 15, "k2"));
        await ExpectMsgAsync<WriteAccepted>();
        await ExpectMsgAsync<WriteAccepted>();
        await first.GracefulStop(TimeSpan.FromSeconds(5), StopEntity.Instance);

        var again = Account("a6");
        again.Tell(new GetBalance("a6", null));
        Assert.Equal(25, (await ExpectMsgAsync<Balance>()).Value);
    }

    [Fact]
    public async Task Should_fail_only_the_poison_command_and_reload_state_when_the_entity_throws()
    {
        var account = Account("a7");
        account.Tell(Deposit("a7", 10, "k1"));
        await ExpectMsgAsync<WriteAccepted>();
        account.Tell(Deposit("a7", 0, "poison")); // an amount the HTTP layer never lets through
        Assert.IsType<Failed>(await ExpectMsgAsync<Failed>());
        account.Tell(Deposit("a7", 5, "k2"));
        Assert.Equal(new WriteAccepted("a7", 15, 2, Applied: true), await ExpectMsgAsync<WriteAccepted>());
    }

    [Fact]
    public async Task Should_reject_deposit_when_the_balance_would_overflow()
    {
        var account = Account("a8");
        for (var i = 0; i < 9; i++)
        {
            account.Tell(Deposit("a8", AccountActor.MaxAmount, $"k{i}"));
            await ExpectMsgAsync<WriteAccepted>();
        }
        // Bring the balance near long.MaxValue directly in the database, then reload.
        await account.GracefulStop(TimeSpan.FromSeconds(5), StopEntity.Instance);
        var snapshot = (await _store.LoadAccountAsync("a8", CancellationToken.None))!;
        var outcome = await _store.CommitAsync([new PendingWrite("a8", LedgerOperation.Deposit, long.MaxValue - 5 - snapshot.Balance, "near-max", snapshot.Version, long.MaxValue - 5)], CancellationToken.None);
        Assert.IsType<WriteOutcome.Committed>(outcome[0]);

        var again = Account("a8");
        again.Tell(Deposit("a8", 10, "over"));
        Assert.Equal(new BalanceOverflow("a8", long.MaxValue - 5, 10, 10), await ExpectMsgAsync<BalanceOverflow>());
    }

    [Fact]
    public async Task Should_reapply_on_fresh_state_when_another_activation_wrote_meanwhile()
    {
        var a = Account("a9");
        var b = Account("a9"); // two activations of one account: what a split brain or a late hand-off can produce
        a.Tell(new GetBalance("a9", null));
        b.Tell(new GetBalance("a9", null));
        await ExpectMsgAsync<NotFound>();
        await ExpectMsgAsync<NotFound>();
        a.Tell(Deposit("a9", 10, "ka"));
        await ExpectMsgAsync<WriteAccepted>();
        b.Tell(Deposit("a9", 7, "kb")); // b still believes the account is new
        Assert.Equal(new WriteAccepted("a9", 17, 2, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        Assert.Equal(17, (await _store.LoadAccountAsync("a9", CancellationToken.None))!.Balance);
    }

    [Fact]
    public async Task Should_process_every_queued_command_before_the_stop_message()
    {
        var account = Account("a10");
        Watch(account);
        for (var i = 1; i <= 5; i++) account.Tell(Deposit("a10", i, $"k{i}", delayMs: 20));
        account.Tell(StopEntity.Instance);
        var balances = new List<long>();
        for (var i = 0; i < 5; i++) balances.Add((await ExpectAdvancingTime<WriteAccepted>()).Balance);
        Assert.Equal([1, 3, 6, 10, 15], balances);
        await ExpectTerminatedAsync(account);
        Assert.Equal(15, (await _store.LoadAccountAsync("a10", CancellationToken.None))!.Balance);
    }
}
