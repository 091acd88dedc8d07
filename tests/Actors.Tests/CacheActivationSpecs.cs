using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// How an entity uses the snapshot cache when it activates: a current entry saves the database read, and a stale
/// entry is never served as the truth (reads and rejections go to the database; writes are checked by it).
/// </summary>
public sealed class CacheActivationSpecs : Akka.Hosting.TestKit.TestKit
{
    private readonly InProcessSnapshotCache _entries = new(100);
    private SqliteLedgerStore _store = null!;
    private IActorRef _db = null!, _cache = null!;

    public CacheActivationSpecs() : base(nameof(CacheActivationSpecs)) { }

    protected override void ConfigureAkka(Akka.Hosting.AkkaConfigurationBuilder builder, IServiceProvider provider) { }

    protected override async Task BeforeTestStart()
    {
        var settings = LedgerTestBed.Db(LedgerTestBed.NewDir("cache"));
        _store = await LedgerTestBed.OpenStore(settings);
        _db = Sys.ActorOf(LedgerDbActor.Props(_store, settings, LedgerMetrics.For(Sys)));
        _cache = Sys.ActorOf(SnapshotCacheActor.Props(_entries));
    }

    /// <summary>Writes deposits straight to the database (as another node would) and returns the resulting snapshot.</summary>
    private async Task<AccountSnapshot> InDatabase(string id, params long[] deposits)
    {
        long balance = 0, version = 0;
        foreach (var amount in deposits)
        {
            await _store.CommitAsync([new PendingWrite(id, LedgerOperation.Deposit, amount, $"db-{version}", version, balance + amount)], CancellationToken.None);
            balance += amount;
            version++;
        }
        return new AccountSnapshot(id, balance, version);
    }

    private IActorRef Account(string id, IActorRef? db = null) => Sys.ActorOf(AccountProps.For(id, new AccountEnvironment(db ?? _db, _cache, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))));

    private static ApplyWrite Write(string id, LedgerOperation op, long amount, string key) => new(id, op, amount, key, RequestId: "r-" + key, TraceParent: null);

    [Fact]
    public async Task Should_commit_without_reading_the_database_when_the_cached_snapshot_is_current()
    {
        await _entries.PutAsync(new AccountSnapshot("h1", 40, 2));
        var db = CreateTestProbe();
        Account("h1", db.Ref).Tell(Write("h1", LedgerOperation.Deposit, 2, "k"));

        // The first thing the database hears from the new activation is the commit itself, based on the cached snapshot.
        var commit = await db.ExpectMsgAsync<LedgerDbCommands.Commit>();
        Assert.Equal((2L, 42L), (commit.Write.ExpectedVersion, commit.Write.NewBalance));
        db.Reply(new LedgerDbReplies.CommitDone(commit.CommitId, new WriteOutcome.Committed(3)));
        Assert.Equal(new WriteAccepted("h1", 42, 3, Applied: true), await ExpectMsgAsync<WriteAccepted>());
    }

    [Fact]
    public async Task Should_answer_a_read_from_the_database_when_the_cached_snapshot_is_stale()
    {
        var truth = await InDatabase("s1", 10, 20, 30);
        await _entries.PutAsync(new AccountSnapshot("s1", 10, 1)); // left behind by a lost cache update
        Account("s1").Tell(new GetBalance("s1", null));
        Assert.Equal(new Balance("s1", 60, 3), await ExpectMsgAsync<Balance>());
        await AwaitAssertAsync(async () => Assert.Equal(truth, await _entries.GetAsync("s1")), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Should_apply_the_write_on_the_database_state_when_it_was_decided_on_a_stale_snapshot()
    {
        await InDatabase("s2", 10, 20);
        await _entries.PutAsync(new AccountSnapshot("s2", 10, 1));
        Account("s2").Tell(Write("s2", LedgerOperation.Deposit, 5, "k"));
        Assert.Equal(new WriteAccepted("s2", 35, 3, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        Assert.Equal(new AccountSnapshot("s2", 35, 3), await _store.LoadAccountAsync("s2", CancellationToken.None));
    }

    [Fact]
    public async Task Should_check_the_database_before_rejecting_a_withdrawal_when_the_cache_shows_too_little()
    {
        await InDatabase("s3", 5, 95);
        await _entries.PutAsync(new AccountSnapshot("s3", 5, 1));
        Account("s3").Tell(Write("s3", LedgerOperation.Withdraw, 50, "k"));
        Assert.Equal(new WriteAccepted("s3", 50, 3, Applied: true), await ExpectMsgAsync<WriteAccepted>());
    }

    [Fact]
    public async Task Should_report_not_found_when_the_cache_holds_an_account_the_database_never_had()
    {
        await _entries.PutAsync(new AccountSnapshot("ghost", 77, 4)); // e.g. a cache that outlived a database reset
        Account("ghost").Tell(new GetBalance("ghost", null));
        Assert.Equal(new NotFound("ghost"), await ExpectMsgAsync<NotFound>());
        await AwaitAssertAsync(async () => Assert.Null(await _entries.GetAsync("ghost")), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Should_load_from_the_database_when_the_cache_never_answers()
    {
        await InDatabase("silent", 12);
        var silentCache = CreateTestProbe(); // e.g. a cache actor that crashed and lost the request while restarting
        var account = Sys.ActorOf(AccountProps.For("silent", new AccountEnvironment(_db, silentCache.Ref, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))));
        account.Tell(new GetBalance("silent", null));
        await silentCache.ExpectMsgAsync<SnapshotCacheCommands.Get>();
        Assert.Equal(new Balance("silent", 12, 1), await ExpectMsgAsync<Balance>(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Should_create_the_account_correctly_when_a_cached_snapshot_is_ahead_of_the_database()
    {
        await _entries.PutAsync(new AccountSnapshot("ahead", 500, 9));
        Account("ahead").Tell(Write("ahead", LedgerOperation.Deposit, 7, "k"));
        Assert.Equal(new WriteAccepted("ahead", 7, 1, Applied: true), await ExpectMsgAsync<WriteAccepted>());
        Assert.Equal(new AccountSnapshot("ahead", 7, 1), await _store.LoadAccountAsync("ahead", CancellationToken.None));
    }
}
