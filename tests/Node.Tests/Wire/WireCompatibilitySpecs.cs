using ActorService.Actors.Accounts;
using Akka.Actor;
using Google.Protobuf;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;
using static ActorService.Node.Clustering.LedgerGateMessages;
using Older = ActorService.Node.Tests.Wire.Older;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// During a rolling deploy a node of the new release and one of the release before exchange messages both ways. Each
/// spec writes a message with one schema and reads it with the other (<c>older_schema.proto</c> is the current schema
/// without the fields added since): a newer node sees a field the older one did not send as its default, an older node
/// skips the fields it does not know and reads the rest.
/// </summary>
public sealed class WireCompatibilitySpecs : IDisposable
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private readonly ActorSystem _system = WireConfig.LocalSystem("wire-compat");

    [Fact]
    public void Should_read_a_write_without_trace_or_delay_when_an_older_node_sent_it()
    {
        var older = new Older.ApplyWrite
        {
            AccountId = "acct-1", Operation = Older.LedgerOperation.Deposit, Amount = 40, IdempotencyKey = "k-1", RequestId = "r-1",
        };

        var read = WireConfig.Accounts(_system).FromBinary(older.ToByteArray(), "apply-write");

        Assert.Equal(new ApplyWrite("acct-1", LedgerOperation.Deposit, 40, "k-1", "r-1", TraceParent: null, ProcessingDelay: null), read);
    }

    [Fact]
    public void Should_read_every_field_it_knows_when_an_older_node_receives_a_newer_write()
    {
        var sent = new ApplyWrite("acct-1", LedgerOperation.Withdraw, 15, "k-2", "r-2", TraceParent, TimeSpan.FromMilliseconds(300));

        var read = Older.ApplyWrite.Parser.ParseFrom(WireConfig.Accounts(_system).ToBinary(sent));

        Assert.Equal(("acct-1", Older.LedgerOperation.Withdraw, 15L, "k-2", "r-2"),
            (read.AccountId, read.Operation, read.Amount, read.IdempotencyKey, read.RequestId));
    }

    [Fact]
    public void Should_read_version_zero_when_an_older_node_answers_a_balance_without_it()
    {
        var older = new Older.Balance { AccountId = "acct-1", Value = 90 };

        var read = WireConfig.Accounts(_system).FromBinary(older.ToByteArray(), "balance");

        Assert.Equal(new Balance("acct-1", 90, 0), read);
    }

    [Fact]
    public void Should_read_the_value_when_an_older_node_receives_a_balance_with_a_version()
    {
        var read = Older.Balance.Parser.ParseFrom(WireConfig.Accounts(_system).ToBinary(new Balance("acct-1", 90, 12)));

        Assert.Equal(("acct-1", 90L), (read.AccountId, read.Value));
    }

    [Fact]
    public void Should_check_the_ledger_when_an_older_joiner_sends_no_app_version()
    {
        var older = new Older.JoinCheck { LedgerId = "ledger-a", Address = "akka.tcp://actor-service@10.0.0.7:4053" };

        var read = WireConfig.LedgerGate(_system).FromBinary(older.ToByteArray(), "join-check");

        Assert.Equal(new JoinCheck("ledger-a", "akka.tcp://actor-service@10.0.0.7:4053", AppVersion: ""), read);
    }

    [Fact]
    public void Should_read_ledger_and_address_when_an_older_seed_receives_a_newer_join_check()
    {
        var read = Older.JoinCheck.Parser.ParseFrom(
            WireConfig.LedgerGate(_system).ToBinary(new JoinCheck("ledger-a", "akka.tcp://actor-service@10.0.0.7:4053", "2.0.0")));

        Assert.Equal(("ledger-a", "akka.tcp://actor-service@10.0.0.7:4053"), (read.LedgerId, read.Address));
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
