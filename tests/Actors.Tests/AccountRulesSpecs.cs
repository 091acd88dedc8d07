using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Db;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// The account's rules without an actor system: what an entity decides for each write on a given state, and what each
/// database outcome means for the caller and the state.
/// </summary>
public sealed class AccountRulesSpecs
{
    private const string Id = "acc";

    private static ApplyWrite Deposit(long amount, string key = "k", string request = "r1") => new(Id, LedgerOperation.Deposit, amount, key, request, null);

    private static ApplyWrite Withdraw(long amount, string key = "k", string request = "r1") => new(Id, LedgerOperation.Withdraw, amount, key, request, null);

    private static PendingWrite Commits(WriteDecision decision) => Assert.IsType<WriteDecision.Commit>(decision).Write;

    private static IAccountReply Answers(WriteDecision decision) => Assert.IsType<WriteDecision.Answer>(decision).Reply;

    [Fact]
    public void Should_commit_the_new_balance_on_the_current_version_when_depositing()
    {
        var write = Commits(AccountRules.Decide(new AccountState(100, 4), Deposit(30), known: null));
        Assert.Equal(new PendingWrite(Id, LedgerOperation.Deposit, 30, "k", 4, 130, "r1", WriteResult.Applied), write);
        Assert.Equal((100L, 5L), (write.BasisBalance, write.VersionAfter));
    }

    [Fact]
    public void Should_create_the_account_at_version_1_when_the_first_deposit_commits()
    {
        var write = Commits(AccountRules.Decide(default, Deposit(7), known: null));
        Assert.Equal((0L, 7L, 1L), (write.ExpectedVersion, write.NewBalance, write.VersionAfter));
    }

    [Fact]
    public void Should_commit_the_lower_balance_when_withdrawing_no_more_than_the_balance()
    {
        var write = Commits(AccountRules.Decide(new AccountState(50, 2), Withdraw(50), known: null));
        Assert.Equal((WriteResult.Applied, 0L, 50L), (write.Result, write.NewBalance, write.BasisBalance));
    }

    [Fact]
    public void Should_commit_a_refusal_that_keeps_the_balance_when_withdrawing_more_than_the_balance()
    {
        var write = Commits(AccountRules.Decide(new AccountState(10, 1), Withdraw(100), known: null));
        Assert.Equal(new PendingWrite(Id, LedgerOperation.Withdraw, 100, "k", 1, 10, "r1", WriteResult.InsufficientFunds), write);
        Assert.Equal((10L, 1L), (write.BasisBalance, write.VersionAfter)); // checked against the database, version unchanged
    }

    [Fact]
    public void Should_refuse_a_withdrawal_from_an_account_never_written()
    {
        var write = Commits(AccountRules.Decide(default, Withdraw(1), known: null));
        Assert.Equal((WriteResult.InsufficientFunds, 0L, 0L), (write.Result, write.ExpectedVersion, write.NewBalance));
    }

    [Fact]
    public void Should_commit_a_refusal_when_a_deposit_would_overflow_64_bits()
    {
        var write = Commits(AccountRules.Decide(new AccountState(long.MaxValue - 5, 9), Deposit(6), known: null));
        Assert.Equal((WriteResult.BalanceOverflow, long.MaxValue - 5, 9L), (write.Result, write.NewBalance, write.ExpectedVersion));
    }

    [Fact]
    public void Should_apply_a_deposit_that_reaches_exactly_the_largest_balance()
    {
        var write = Commits(AccountRules.Decide(new AccountState(long.MaxValue - 5, 9), Deposit(5), known: null));
        Assert.Equal((WriteResult.Applied, long.MaxValue), (write.Result, write.NewBalance));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(AccountRules.MaxAmount + 1)]
    public void Should_throw_when_the_amount_is_outside_the_contract(long amount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AccountRules.Decide(new AccountState(5, 1), Deposit(amount), known: null));
    }

    [Fact]
    public void Should_throw_when_a_write_has_no_key()
    {
        Assert.Throws<ArgumentException>(() => AccountRules.Decide(new AccountState(5, 1), Deposit(1, key: ""), known: null));
    }

    [Fact]
    public void Should_answer_the_original_balance_and_version_without_committing_when_a_separate_request_repeats_a_known_key()
    {
        var original = new StoredWrite(LedgerOperation.Deposit, 30, WriteResult.Applied, 130, 5, "r1");
        var reply = Answers(AccountRules.Decide(new AccountState(999, 12), Deposit(30, request: "r2"), original));
        Assert.Equal(new WriteAccepted(Id, 130, 5, Applied: false), reply);
    }

    [Fact]
    public void Should_report_applied_when_the_repeat_is_a_resend_of_the_request_that_applied_it()
    {
        var original = new StoredWrite(LedgerOperation.Deposit, 30, WriteResult.Applied, 130, 5, "r1");
        Assert.Equal(new WriteAccepted(Id, 130, 5, Applied: true), AccountRules.Repeat(Deposit(30, request: "r1"), original));
    }

    [Fact]
    public void Should_never_report_applied_when_the_request_id_is_empty()
    {
        var original = new StoredWrite(LedgerOperation.Deposit, 30, WriteResult.Applied, 130, 5, "");
        Assert.Equal(new WriteAccepted(Id, 130, 5, Applied: false), AccountRules.Repeat(Deposit(30, request: ""), original));
    }

    [Fact]
    public void Should_refuse_again_with_the_original_balance_when_a_refused_key_is_repeated_after_the_balance_grew()
    {
        var refused = new StoredWrite(LedgerOperation.Withdraw, 100, WriteResult.InsufficientFunds, 10, 1, "r1");
        var reply = Answers(AccountRules.Decide(new AccountState(1010, 2), Withdraw(100, request: "r2"), refused));
        Assert.Equal(new InsufficientFunds(Id, 10, 100, 1), reply);
    }

    [Fact]
    public void Should_refuse_again_when_an_overflowing_key_is_repeated()
    {
        var refused = new StoredWrite(LedgerOperation.Deposit, 6, WriteResult.BalanceOverflow, long.MaxValue - 5, 9, "r1");
        Assert.Equal(new BalanceOverflow(Id, long.MaxValue - 5, 6, 9), AccountRules.Repeat(Deposit(6, request: "r9"), refused));
    }

    [Theory]
    [InlineData(LedgerOperation.Deposit, 31)]
    [InlineData(LedgerOperation.Withdraw, 30)]
    public void Should_answer_key_reused_when_the_key_was_used_for_another_write(LedgerOperation operation, long amount)
    {
        var original = new StoredWrite(LedgerOperation.Deposit, 30, WriteResult.Applied, 130, 5, "r1");
        var reply = AccountRules.Repeat(new ApplyWrite(Id, operation, amount, "k", "r1", null), original);
        Assert.Equal(new KeyReused(Id, "k", LedgerOperation.Deposit, 30), reply);
    }

    [Fact]
    public void Should_answer_key_reused_when_a_refused_key_comes_back_with_another_amount()
    {
        var refused = new StoredWrite(LedgerOperation.Withdraw, 100, WriteResult.InsufficientFunds, 10, 1, "r1");
        Assert.IsType<KeyReused>(Answers(AccountRules.Decide(new AccountState(10, 1), Withdraw(5), refused)));
    }

    [Fact]
    public void Should_report_applied_with_the_new_version_when_the_database_committed_the_write()
    {
        var cmd = Deposit(30);
        var write = Commits(AccountRules.Decide(new AccountState(100, 4), cmd, null));
        var r = AccountRules.Resolve(cmd, write, new WriteOutcome.Committed(5), attempt: 1);
        Assert.Equal(new Resolution(new AccountState(130, 5), BasisConfirmed: true, new WriteAccepted(Id, 130, 5, Applied: true),
            new StoredWrite(LedgerOperation.Deposit, 30, WriteResult.Applied, 130, 5, "r1")), r);
    }

    [Fact]
    public void Should_report_the_refusal_and_keep_the_state_when_the_database_recorded_it()
    {
        var cmd = Withdraw(100);
        var write = Commits(AccountRules.Decide(new AccountState(10, 1), cmd, null));
        var r = AccountRules.Resolve(cmd, write, new WriteOutcome.Committed(1), attempt: 1);
        Assert.Equal(new Resolution(new AccountState(10, 1), BasisConfirmed: true, new InsufficientFunds(Id, 10, 100, 1),
            new StoredWrite(LedgerOperation.Withdraw, 100, WriteResult.InsufficientFunds, 10, 1, "r1")), r);
    }

    [Fact]
    public void Should_answer_the_stored_outcome_and_take_the_database_state_when_the_database_found_the_key()
    {
        var cmd = Withdraw(100, request: "r2");
        var original = new StoredWrite(LedgerOperation.Withdraw, 100, WriteResult.Applied, 900, 3, "r2");
        var r = AccountRules.Resolve(cmd, Commits(AccountRules.Decide(new AccountState(900, 3), cmd, null)),
            new WriteOutcome.Duplicate(original, new AccountSnapshot(Id, 950, 4)), attempt: 1);
        Assert.Equal(new Resolution(new AccountState(950, 4), BasisConfirmed: false, new WriteAccepted(Id, 900, 3, Applied: true), original), r);
    }

    [Fact]
    public void Should_decide_again_on_the_database_state_when_another_writer_moved_the_account()
    {
        var cmd = Deposit(5);
        var r = AccountRules.Resolve(cmd, Commits(AccountRules.Decide(new AccountState(10, 1), cmd, null)),
            new WriteOutcome.VersionConflict(new AccountSnapshot(Id, 17, 2)), attempt: 1);
        Assert.Equal(new Resolution(new AccountState(17, 2), BasisConfirmed: false, Reply: null, Remember: null), r);
        Assert.Equal(22, Commits(AccountRules.Decide(r.State, cmd, null)).NewBalance);
    }

    [Fact]
    public void Should_give_up_as_certainly_not_applied_when_the_account_keeps_changing()
    {
        var cmd = Deposit(5);
        var r = AccountRules.Resolve(cmd, Commits(AccountRules.Decide(new AccountState(10, 1), cmd, null)),
            new WriteOutcome.VersionConflict(new AccountSnapshot(Id, 17, 2)), attempt: AccountRules.MaxConflictRetries);
        Assert.IsType<Unavailable>(r.Reply);
        Assert.Null(r.Remember);
    }

    [Fact]
    public void Should_take_a_missing_account_as_never_written_when_a_conflict_reports_no_row()
    {
        var cmd = Deposit(5);
        var r = AccountRules.Resolve(cmd, Commits(AccountRules.Decide(new AccountState(10, 1), cmd, null)), new WriteOutcome.VersionConflict(null), attempt: 1);
        Assert.Equal(default, r.State);
    }

    [Fact]
    public void Should_read_balance_and_version_or_not_found()
    {
        Assert.Equal(new Balance(Id, 42, 7), AccountRules.Read(Id, new AccountState(42, 7)));
        Assert.Equal(new NotFound(Id), AccountRules.Read(Id, default));
    }
}
