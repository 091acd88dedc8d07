using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Db;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// The ledger store contract, run on each backend: one transaction per batch, per-write outcomes that never abort
/// the batch, idempotency keys, the version-and-balance check, and one outbox event per applied write.
/// </summary>
public abstract class LedgerStoreContractSpecs(LedgerBackend backend) : IAsyncLifetime
{
    protected ILedgerStore Store { get; private set; } = null!;
    private static readonly CancellationToken None = CancellationToken.None;

    public async ValueTask InitializeAsync() => Store = await backend.OpenAsync();
    public async ValueTask DisposeAsync() => await Store.DisposeAsync();

    private static PendingWrite Deposit(string id, long amount, string key, long expectedVersion, long basis) =>
        new(id, LedgerOperation.Deposit, amount, key, expectedVersion, basis + amount, RequestId: "req-" + key);

    private static PendingWrite RefusedWithdrawal(string id, long amount, string key, long expectedVersion, long balance) =>
        new(id, LedgerOperation.Withdraw, amount, key, expectedVersion, balance, RequestId: "req-" + key, Result: WriteResult.InsufficientFunds);

    private async Task<long> Backlog() => await Store.Outbox().CountUnshippedAsync(None);

    [Fact]
    public async Task Should_create_the_account_and_record_one_event_when_a_first_write_is_applied()
    {
        var outcome = await Store.CommitAsync([Deposit("c1", 130, "k1", 0, 0)], None);
        Assert.Equal(new WriteOutcome.Committed(1), outcome[0]);
        Assert.Equal(new AccountSnapshot("c1", 130, 1), await Store.LoadAccountAsync("c1", None));
        var events = await Store.Outbox().ClaimUnshippedAsync("me", 10, TimeSpan.FromSeconds(30), None);
        var e = Assert.Single(events);
        Assert.Equal(("c1", LedgerOperation.Deposit, 130L, 130L, 1L, "k1"), (e.AccountId, e.Operation, e.Amount, e.BalanceAfter, e.Version, e.IdempotencyKey));
    }

    [Fact]
    public async Task Should_answer_duplicate_and_record_no_event_when_the_key_was_used_before()
    {
        await Store.CommitAsync([Deposit("c2", 25, "k", 0, 0)], None);
        var repeat = await Store.CommitAsync([Deposit("c2", 25, "k", 1, 25)], None);
        var duplicate = Assert.IsType<WriteOutcome.Duplicate>(repeat[0]);
        var original = new StoredWrite(LedgerOperation.Deposit, 25, WriteResult.Applied, 25, 1, "req-k");
        Assert.Equal(original, duplicate.Original);
        Assert.Equal(new AccountSnapshot("c2", 25, 1), duplicate.Current);
        Assert.Equal(1, await Backlog());
        Assert.Equal(original, await Store.FindWriteAsync("c2", "k", None));
    }

    [Fact]
    public async Task Should_record_a_refusal_with_its_key_and_change_nothing_when_the_basis_stands()
    {
        await Store.CommitAsync([Deposit("r1", 10, "d", 0, 0)], None);
        var refused = await Store.CommitAsync([RefusedWithdrawal("r1", 100, "K", 1, 10)], None);
        Assert.Equal(new WriteOutcome.Committed(1), refused[0]); // recorded; the account stays at version 1
        Assert.Equal(new AccountSnapshot("r1", 10, 1), await Store.LoadAccountAsync("r1", None));
        Assert.Equal(1, await Backlog()); // no event: nothing happened to the account
        var stored = new StoredWrite(LedgerOperation.Withdraw, 100, WriteResult.InsufficientFunds, 10, 1, "req-K");
        Assert.Equal(stored, await Store.FindWriteAsync("r1", "K", None));

        // Money arrives; the same key still answers with the refusal, and nothing is withdrawn.
        await Store.CommitAsync([Deposit("r1", 1000, "d2", 1, 10)], None);
        var repeat = await Store.CommitAsync([new PendingWrite("r1", LedgerOperation.Withdraw, 100, "K", 2, 910, "another")], None);
        Assert.Equal(new WriteOutcome.Duplicate(stored, new AccountSnapshot("r1", 1010, 2)), repeat[0]);
        Assert.Equal(new AccountSnapshot("r1", 1010, 2), await Store.LoadAccountAsync("r1", None));
    }

    [Fact]
    public async Task Should_answer_conflict_and_keep_the_key_free_when_a_refusal_was_decided_on_an_old_state()
    {
        await Store.CommitAsync([Deposit("r2", 10, "a", 0, 0)], None);
        await Store.CommitAsync([Deposit("r2", 500, "b", 1, 10)], None);
        var stale = await Store.CommitAsync([RefusedWithdrawal("r2", 100, "K", 1, 10)], None);
        Assert.Equal(new WriteOutcome.VersionConflict(new AccountSnapshot("r2", 510, 2)), stale[0]);
        Assert.Null(await Store.FindWriteAsync("r2", "K", None));
    }

    [Fact]
    public async Task Should_record_a_refusal_on_an_account_never_written_only_while_it_does_not_exist()
    {
        var onNothing = await Store.CommitAsync([RefusedWithdrawal("r3", 5, "K1", 0, 0)], None);
        Assert.Equal(new WriteOutcome.Committed(0), onNothing[0]);
        Assert.Null(await Store.LoadAccountAsync("r3", None));
        Assert.Equal(new StoredWrite(LedgerOperation.Withdraw, 5, WriteResult.InsufficientFunds, 0, 0, "req-K1"), await Store.FindWriteAsync("r3", "K1", None));

        await Store.CommitAsync([Deposit("r3", 3, "d", 0, 0)], None);
        var stale = await Store.CommitAsync([RefusedWithdrawal("r3", 5, "K2", 0, 0)], None); // decided before the deposit
        Assert.Equal(new WriteOutcome.VersionConflict(new AccountSnapshot("r3", 3, 1)), stale[0]);
    }

    [Fact]
    public async Task Should_record_an_overflow_refusal_with_its_key()
    {
        await Store.CommitAsync([new PendingWrite("r4", LedgerOperation.Deposit, 1, "seed", 0, long.MaxValue - 5)], None);
        var refused = await Store.CommitAsync(
            [new PendingWrite("r4", LedgerOperation.Deposit, 10, "over", 1, long.MaxValue - 5, "req", WriteResult.BalanceOverflow)], None);
        Assert.Equal(new WriteOutcome.Committed(1), refused[0]);
        Assert.Equal(new StoredWrite(LedgerOperation.Deposit, 10, WriteResult.BalanceOverflow, long.MaxValue - 5, 1, "req"),
            await Store.FindWriteAsync("r4", "over", None));
    }

    [Fact]
    public async Task Should_answer_conflict_and_change_nothing_when_the_expected_version_is_old()
    {
        await Store.CommitAsync([Deposit("c3", 10, "a", 0, 0)], None);
        await Store.CommitAsync([Deposit("c3", 10, "b", 1, 10)], None);
        var stale = await Store.CommitAsync([Deposit("c3", 5, "c", 1, 10)], None);
        Assert.Equal(new WriteOutcome.VersionConflict(new AccountSnapshot("c3", 20, 2)), stale[0]);
        Assert.Null(await Store.FindWriteAsync("c3", "c", None));
        Assert.Equal(2, await Backlog());
    }

    [Fact]
    public async Task Should_answer_conflict_when_the_balance_differs_from_the_basis_at_the_same_version()
    {
        await Store.CommitAsync([Deposit("c4", 10, "a", 0, 0)], None);
        // A decision taken on a wrong snapshot (balance 99 at version 1, say a corrupt cache entry) must not apply.
        var wrongBasis = await Store.CommitAsync([Deposit("c4", 1, "b", 1, 99)], None);
        Assert.Equal(new WriteOutcome.VersionConflict(new AccountSnapshot("c4", 10, 1)), wrongBasis[0]);
    }

    [Fact]
    public async Task Should_decide_each_write_on_its_own_when_one_batch_mixes_outcomes()
    {
        await Store.CommitAsync([Deposit("c5", 10, "used", 0, 0)], None);
        var batch = await Store.CommitAsync(
        [
            Deposit("c5", 10, "used", 1, 10),        // duplicate
            Deposit("c5", 3, "new-1", 1, 10),        // applies: version 2, balance 13
            Deposit("c5", 4, "stale", 1, 10),        // conflict: version is 2 now
            Deposit("c6", 7, "other", 0, 0),         // another account in the same transaction
            Deposit("c5", 5, "new-2", 2, 13),        // applies on top of the write two lines up
        ], None);
        Assert.IsType<WriteOutcome.Duplicate>(batch[0]);
        Assert.Equal(new WriteOutcome.Committed(2), batch[1]);
        Assert.IsType<WriteOutcome.VersionConflict>(batch[2]);
        Assert.Equal(new WriteOutcome.Committed(1), batch[3]);
        Assert.Equal(new WriteOutcome.Committed(3), batch[4]);
        Assert.Equal(new AccountSnapshot("c5", 18, 3), await Store.LoadAccountAsync("c5", None));
        Assert.Equal(4, await Backlog()); // "used" once, new-1, other, new-2
    }

    [Fact]
    public async Task Should_hand_each_event_to_one_claimer_when_two_nodes_claim_at_once()
    {
        for (var i = 0; i < 20; i++) await Store.CommitAsync([Deposit($"e{i}", 1, "k", 0, 0)], None);
        await using var other = await backend.OpenAsync(); // a second node on the same database
        var claims = await Task.WhenAll(
            Store.Outbox().ClaimUnshippedAsync("node-a", 15, TimeSpan.FromSeconds(30), None),
            other.Outbox().ClaimUnshippedAsync("node-b", 15, TimeSpan.FromSeconds(30), None));
        var ids = claims.SelectMany(c => c.Select(e => e.Id)).ToList();
        Assert.Equal(20, ids.Count);
        Assert.Equal(20, ids.Distinct().Count());
        // While both leases run, nobody else gets those rows; the owners get theirs back (a restarted node).
        Assert.Empty(await Store.Outbox().ClaimUnshippedAsync("node-c", 50, TimeSpan.FromSeconds(30), None));
        Assert.Equal(claims[0].Select(e => e.Id), (await Store.Outbox().ClaimUnshippedAsync("node-a", 50, TimeSpan.FromSeconds(30), None)).Select(e => e.Id));
    }

    [Fact]
    public async Task Should_let_another_node_ship_the_events_when_the_claim_lease_ran_out()
    {
        await Store.CommitAsync([Deposit("l1", 1, "k", 0, 0)], None);
        var claimed = await Store.Outbox().ClaimUnshippedAsync("dead-node", 10, TimeSpan.FromMilliseconds(1), None);
        Assert.Single(claimed);
        var taken = await LedgerTestBed.Eventually(async () =>
            await Store.Outbox().ClaimUnshippedAsync("live-node", 10, TimeSpan.FromSeconds(30), None) is { Count: 1 } t ? t : null,
            "the expired claim to be taken over");
        Assert.Equal(claimed[0].Id, taken[0].Id);
        await Store.Outbox().MarkShippedAsync([taken[0].Id], None);
        Assert.Equal(0, await Backlog());
        Assert.Empty(await Store.Outbox().ClaimUnshippedAsync("dead-node", 10, TimeSpan.FromSeconds(30), None));
    }

    [Fact]
    public async Task Should_number_events_in_commit_order_when_writes_follow_each_other()
    {
        for (var i = 0; i < 5; i++) await Store.CommitAsync([Deposit("n1", 1, $"k{i}", i, i)], None);
        var events = await Store.Outbox().ClaimUnshippedAsync("me", 10, TimeSpan.FromSeconds(30), None);
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => e.Version));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Id < p.Second.Id), "outbox ids must increase: " + string.Join(",", events.Select(e => e.Id)));
    }

    [Fact]
    public async Task Should_migrate_once_and_agree_on_the_ledger_id_when_several_nodes_start_at_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => backend.OpenAsync()));
        try
        {
            Assert.All(stores, s => Assert.Equal(Store.LedgerId, s.LedgerId));
            Assert.Matches("^[0-9a-f]{32}$", Store.LedgerId);
            Assert.Equal(new WriteOutcome.Committed(1), (await stores[3].CommitAsync([Deposit("m1", 1, "k", 0, 0)], None))[0]);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_delete_at_most_the_limit_per_call_when_more_keys_and_shipped_events_expired()
    {
        // 2,500 keys and 2,500 shipped outbox rows, all created now: a cut-off an hour ahead makes every one expired.
        for (var b = 0; b < 10; b++)
            await Store.CommitAsync(Enumerable.Range(0, 250).Select(i => Deposit($"x{b}-{i}", 1, "k", 0, 0)).ToList(), None);
        var events = await Store.Outbox().ClaimUnshippedAsync("me", 5_000, TimeSpan.FromMinutes(1), None);
        await Store.Outbox().MarkShippedAsync(events.Select(e => e.Id).ToList(), None);
        Assert.Equal(new DeletedRows(0, 0), await Store.DeleteKeysOlderThanAsync(DateTimeOffset.UtcNow.AddHours(-1), 1000, None));

        var cutoff = DateTimeOffset.UtcNow.AddHours(1);
        var calls = new List<DeletedRows>();
        DeletedRows last;
        do calls.Add(last = await Store.DeleteKeysOlderThanAsync(cutoff, 1000, None));
        while (last.Reached(1000));

        Assert.Equal([new(1000, 1000), new(1000, 1000), new(500, 500)], calls);
        Assert.Null(await Store.FindWriteAsync("x9-249", "k", None));
        Assert.Equal(new AccountSnapshot("x9-249", 1, 1), await Store.LoadAccountAsync("x9-249", None)); // accounts stay
    }
}

public sealed class SqliteLedgerStoreContractSpecs() : LedgerStoreContractSpecs(new SqliteBackend());

public sealed class PostgresLedgerStoreContractSpecs() : LedgerStoreContractSpecs(new PostgresBackend());
