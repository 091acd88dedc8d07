using Xunit;

namespace ActorService.TestSupport.Tests.Checker;

/// <summary>
/// The history checker on synthetic histories: a history that agrees with its ledger passes with the right counts,
/// and each kind of violation — lost, doubled, falsely refused, inconsistent answer, phantom row, broken chain, stale
/// read, versions going backwards across nodes, a write out of order — is caught and named.
/// </summary>
public sealed class HistoryCheckerSpecs
{
    [Fact]
    public void Should_pass_with_exact_counts_when_every_answer_agrees_with_the_ledger()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("a", 5, "k2", 0.2, 0.3, balance: 15, version: 2);
        h.Read("a", 0.25, 0.35, balance: 10, version: 1);  // overlaps the second deposit: the older state is allowed
        h.Read("a", 0.4, 0.5, balance: 15, version: 2);
        h.Withdraw("a", 100, "k3", 0.6, 0.7, status: 409);
        h.Deposit("a", 7, "k4", 0.8, 2.8, status: null, error: "timeout");
        h.Deposit("a", 3, "k5", 0.9, 2.9, status: null, error: Attempt.PoolFull);
        h.Read("a", 3.0, 3.1, balance: 22, version: 3);
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 2).Row("a", "k4", 7, 22, 3);

        var report = h.Check();

        Assert.True(report.Ok, report.ToString());
        Assert.Equal((8, 5, 3), (report.Sent, report.Writes, report.Reads));
        Assert.Equal((2, 2, 1, 1), (report.Applied, report.NotApplied, report.NeverSent, report.Unknown));
        Assert.Equal((1, 0), (report.UnknownFoundApplied, report.UnknownFoundAbsent));
        Assert.Equal(3, report.ReadsChecked);
        Assert.Equal(0, report.OrderUnchecked);
    }

    [Fact]
    public void Should_count_an_acknowledged_write_as_lost_when_the_ledger_does_not_have_it()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("a", 5, "k2", 0.2, 0.3, balance: 15, version: 2);
        h.Row("a", "k1", 10, 10, 1);

        var report = h.Check();

        Assert.Equal(1, report.Lost);
        Assert.False(report.Ok);
        Assert.Contains(report.Violations, v => v.StartsWith("lost:") && v.Contains("key k2"));
    }

    [Fact]
    public void Should_count_a_write_as_doubled_when_its_key_is_in_the_ledger_twice()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        var unknown = h.Deposit("b", 4, "k2", 0.0, 2.0, status: 504, problem: "outcome-unknown");
        h.Again(unknown, 3.0, 3.1, 200, balance: 4, version: 1, applied: false);
        h.Row("a", "k1", 10, 10, 1).Row("a", "k1", 10, 20, 2).Row("b", "k2", 4, 4, 1).Row("b", "k2", 4, 8, 2);

        var report = h.Check();

        Assert.Equal(2, report.Doubled);
        Assert.Contains(report.Violations, v => v.StartsWith("doubled:") && v.Contains("key k1") && v.Contains("2 times"));
    }

    [Fact]
    public void Should_count_a_write_as_falsely_refused_when_it_was_answered_503_or_never_sent_and_is_in_the_ledger()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, status: 503, problem: "cluster-degraded");
        h.Deposit("a", 5, "k2", 0.2, 0.2, status: null, error: Attempt.PoolFull);
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 2);

        var report = h.Check();

        Assert.Equal(2, report.FalselyRefused);
        Assert.Equal(2, report.NotApplied);
        Assert.Contains(report.Violations, v => v.StartsWith("answered not applied, but applied") && v.Contains("cluster-degraded"));
    }

    [Fact]
    public void Should_count_answers_that_contradict_the_ledger_as_inconsistent()
    {
        var h = new Histories();
        // A repeat of an applied write must return the original balance and version.
        var first = h.Deposit("a", 10, "k1", 0.0, 2.0, status: 504, problem: "outcome-unknown");
        h.Again(first, 3.0, 3.1, 200, balance: 99, version: 1, applied: false, resolution: true);
        // A refusal of a write that is in the ledger: a stored refusal must not cover an applied write.
        var second = h.Deposit("b", 5, "k2", 0.0, 2.0, status: null, error: "timeout");
        h.Again(second, 3.0, 3.1, 409, resolution: true);
        // A read showing a state the ledger never had.
        h.Read("c", 1.0, 1.1, balance: 7, version: 1);
        h.Row("a", "k1", 10, 10, 1).Row("b", "k2", 5, 5, 1).Row("c", "k3", 6, 6, 1);
        h.Deposit("c", 6, "k3", 0.0, 0.5, balance: 6, version: 1);

        var report = h.Check();

        Assert.Equal(3, report.Inconsistent);
        Assert.Contains(report.Violations, v => v.Contains("answered balance 99, the ledger has 10"));
        Assert.Contains(report.Violations, v => v.Contains("answered 409") && v.Contains("in the ledger as version 1"));
        Assert.Contains(report.Violations, v => v.StartsWith("read showed a state the ledger never had"));
    }

    [Fact]
    public void Should_count_a_ledger_row_no_request_explains_as_phantom()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Row("a", "k1", 10, 10, 1).Row("a", "minted-by-a-node", 10, 20, 2);

        var report = h.Check();

        Assert.Equal(1, report.Phantom);
        Assert.Contains(report.Violations, v => v.StartsWith("phantom:") && v.Contains("minted-by-a-node"));
    }

    [Fact]
    public void Should_count_a_chain_break_when_versions_skip_or_a_balance_does_not_follow()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("a", 5, "k2", 0.2, 0.3, balance: 15, version: 3);
        h.Deposit("b", 10, "k3", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("b", 5, "k4", 0.2, 0.3, balance: 16, version: 2);
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 3).Row("b", "k3", 10, 10, 1).Row("b", "k4", 5, 16, 2);

        var report = h.Check();

        Assert.Equal(2, report.ChainBreaks);
        Assert.Contains(report.Violations, v => v.Contains("chain of a: version 3 follows 1"));
        Assert.Contains(report.Violations, v => v.Contains("chain of b: version 2") && v.Contains("expected 15"));
    }

    [Fact]
    public void Should_count_a_stale_read_when_a_read_that_started_after_an_acknowledged_write_shows_an_older_version()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1, node: "node1");
        h.Deposit("a", 5, "k2", 0.2, 1.0, balance: 15, version: 2, node: "node1");
        h.Read("a", 1.5, 1.6, balance: 10, version: 1, node: "node3");
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 2);

        var report = h.Check();

        Assert.Equal(1, report.StaleReads);
        var violation = Assert.Single(report.Violations);
        Assert.Contains("from node3", violation);
        Assert.Contains("version 2 was acknowledged", violation);
        Assert.Contains("from node1", violation);
    }

    [Fact]
    public void Should_count_versions_going_backwards_across_nodes_as_a_stale_read()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        var slow = h.Deposit("a", 5, "k2", 0.2, 2.2, status: null, error: "timeout");
        h.Read("a", 1.0, 1.1, balance: 15, version: 2, node: "node1"); // the unknown write was applied: node1 shows it
        h.Read("a", 1.5, 1.6, balance: 10, version: 1, node: "node2"); // then node2 shows the state before it
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 2);

        var report = h.Check();

        Assert.Equal(1, report.StaleReads);
        Assert.Contains(report.Violations, v => v.Contains("from node2") && v.Contains("version 2 was acknowledged") && v.Contains("from node1"));
        Assert.Equal(AnswerKind.Unknown, slow.Kind);
    }

    [Fact]
    public void Should_count_a_refusal_decided_on_a_state_older_than_an_acknowledged_one_as_stale()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("a", 90, "k2", 0.2, 0.3, balance: 100, version: 2, node: "node1");
        var refused = h.Withdraw("a", 50, "k3", 0.5, 0.6, status: 409, balance: 10, version: 1);
        h.Again(refused with { Version = 1, Balance = 10 }, 1.0, 1.1, 409, balance: 10, version: 1); // the stored refusal, repeated: fine
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 90, 100, 2);

        var report = h.Check();

        Assert.Equal(1, report.StaleReads);
        Assert.Contains(report.Violations, v => v.StartsWith("stale refusal") && v.Contains("key k3") && v.Contains("version 2 was acknowledged"));
    }

    [Fact]
    public void Should_check_order_by_inferred_versions_when_answers_carry_no_version()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10);
        h.Deposit("a", 5, "k2", 0.2, 0.3, balance: 15);
        h.Read("a", 0.5, 0.6, balance: 10); // only version 1 had balance 10: stale
        h.Read("a", 0.7, 0.8, balance: 15);
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 15, 2);

        var report = h.Check();

        Assert.Equal(1, report.StaleReads);
        Assert.Equal(4, report.VersionsInferred);
        Assert.Equal(0, report.OrderUnchecked);
        Assert.Contains("inferred from the ledger", report.ToString());
    }

    [Fact]
    public void Should_say_order_was_not_checked_when_a_balance_without_version_matches_several_states()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10);
        h.Withdraw("a", 5, "k2", 0.2, 0.3, status: 200, balance: 5);
        h.Deposit("a", 5, "k3", 0.4, 0.5, balance: 10);
        h.Read("a", 0.6, 0.7, balance: 10); // version 1 or 3: cannot tell
        h.Row("a", "k1", 10, 10, 1).Row("a", "k2", 5, 5, 2, Operation.Withdraw).Row("a", "k3", 5, 10, 3);

        var report = h.Check();

        Assert.True(report.Ok, report.ToString());
        Assert.Equal(1, report.OrderUnchecked);
        Assert.Contains("order NOT checked for 1 answers", report.ToString());
    }

    [Fact]
    public void Should_count_a_write_out_of_order_when_it_got_a_version_below_one_acknowledged_before_it_started()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 1.0, balance: 10, version: 2);
        h.Deposit("a", 5, "k2", 2.0, 2.1, balance: 5, version: 1);
        h.Row("a", "k2", 5, 5, 1).Row("a", "k1", 10, 15, 2);

        var report = h.Check();

        Assert.Equal(1, report.OrderViolations);
        Assert.Contains(report.Violations, v => v.StartsWith("write out of order") && v.Contains("key k2"));
    }

    [Fact]
    public void Should_settle_unknown_outcomes_by_what_the_ledger_holds()
    {
        var h = new Histories();
        var applied = h.Deposit("a", 10, "k1", 0.0, 2.0, status: 504, problem: "outcome-unknown");
        h.Again(applied, 3.0, 3.1, 200, balance: 10, version: 1, applied: false, resolution: true);
        var absent = h.Deposit("b", 5, "k2", 0.0, 2.0, status: null, error: "connection-reset");
        h.Again(absent, 3.0, 3.1, 409, resolution: true);
        h.Row("a", "k1", 10, 10, 1);

        var report = h.Check();

        Assert.True(report.Ok, report.ToString());
        Assert.Equal((2, 1, 1), (report.Unknown, report.UnknownFoundApplied, report.UnknownFoundAbsent));
    }

    [Fact]
    public void Should_refuse_a_history_whose_entry_ends_before_it_starts()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.2, 0.1, balance: 10, version: 1);
        h.Row("a", "k1", 10, 10, 1);

        var e = Assert.Throws<ArgumentException>(() => h.Check());
        Assert.Contains("ends before it starts", e.Message);
    }

    [Fact]
    public void Should_give_the_readme_row_of_the_counts()
    {
        var h = new Histories();
        h.Deposit("a", 10, "k1", 0.0, 0.1, balance: 10, version: 1);
        h.Deposit("a", 5, "k2", 0.2, 2.2, status: null, error: "timeout");
        h.Read("a", 0.3, 0.4, balance: 10, version: 1);
        h.Row("a", "k1", 10, 10, 1);

        Assert.Equal("| 3 | 1 | 0 | 1 | 0 | 0 | 0 |", h.Check().TableRow());
    }
}
