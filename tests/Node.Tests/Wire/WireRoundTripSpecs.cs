using ActorService.Actors.Accounts;
using ActorService.Actors.Wire;
using ActorService.TestSupport;
using Akka.Actor;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// Commands to an entity on the other node and its replies cross real remoting through the account serializer: the
/// asking node has only a shard region proxy, so nothing is answered unless both directions serialize. A command the
/// receiving node finds malformed is dropped and counted there, and the association carries on.
/// </summary>
public sealed class WireRoundTripSpecs(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Should_answer_every_kind_of_reply_when_the_entity_lives_on_the_other_node()
    {
        var account = "wire-" + Guid.NewGuid().ToString("N")[..8];
        // The nodes are shared with the spec below, which makes the host count one malformed command: compare, not absolute.
        long Malformed() => WireConfig.Accounts(nodes.Host).Rejections[WireRejection.Malformed] + WireConfig.Accounts(nodes.Asker).Rejections[WireRejection.Malformed];
        var malformedBefore = Malformed();

        var deposit = await Ask(new ApplyWrite(account, LedgerOperation.Deposit, 25, "k-1", "r-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        var balance = await Ask(new GetBalance(account, null));
        var refused = await Ask(new ApplyWrite(account, LedgerOperation.Withdraw, 100, "k-2", "r-2", null));
        var reused = await Ask(new ApplyWrite(account, LedgerOperation.Withdraw, 5, "k-1", "r-3", null));
        var missing = await Ask(new GetBalance(account + "-never", null));

        Assert.Equal(new WriteAccepted(account, 25, 1, Applied: true), deposit);
        Assert.Equal(new Balance(account, 25, 1), balance);
        Assert.Equal(new InsufficientFunds(account, 25, 100, 1), refused);
        Assert.Equal(new KeyReused(account, "k-1", LedgerOperation.Deposit, 25), reused);
        Assert.Equal(new NotFound(account + "-never"), missing);
        Assert.Equal(25, (await nodes.Store.LoadAccountAsync(account, CancellationToken.None))?.Balance);
        Assert.Equal(malformedBefore, Malformed());
    }

    [Fact]
    public async Task Should_drop_and_count_a_command_on_the_receiving_node_when_it_breaks_the_message_rules()
    {
        var account = "wire-" + Guid.NewGuid().ToString("N")[..8];
        var hostAccounts = WireConfig.Accounts(nodes.Host);
        var before = hostAccounts.Rejections[WireRejection.Malformed];

        // The sender's serializer writes what it is given; the receiver checks the rules (an empty idempotency key).
        nodes.Proxy.Tell(new ApplyWrite(account, LedgerOperation.Deposit, 10, "", "r-1", null), ActorRefs.NoSender);
        await Eventually.True(() => WireConfig.Accounts(nodes.Host).Rejections[WireRejection.Malformed] > before, TimeSpan.FromSeconds(15),
            "the host node counting the malformed command");

        Assert.Equal(new WriteAccepted(account, 10, 1, Applied: true), await Ask(new ApplyWrite(account, LedgerOperation.Deposit, 10, "k-ok", "r-2", null)));
    }

    private Task<object> Ask(object command) => nodes.Proxy.Ask<object>(command, AskTimeout);
}
