using Xunit;

namespace ActorService.TestSupport.Tests.Client;

/// <summary>The deposit audit counts a write once however many times it was sent with its key.</summary>
public sealed class LedgerAuditSpecs
{
    private static RequestRecord Deposit(long seq, string key, long amount, int? status, string? error = null) =>
        new(seq, new LoadRequest(Operation.Deposit, "a", amount, key), [new Attempt(TimeSpan.Zero, TimeSpan.FromSeconds(1), status, error, null, status == 200 ? true : null)]);

    [Fact]
    public async Task Should_count_a_deposit_once_when_it_was_sent_again_with_its_key()
    {
        await using var server = await StubServer.StartAsync(context => StubServer.Json(context, 200, """{"id":"a","balance":6,"version":2}"""));
        using var http = NodeProcess.NewClient(server.Uri);
        RequestRecord[] records =
        [
            Deposit(1, "seed", 1, null, Attempt.Timeout), // a seed that timed out, sent again with its key: one deposit
            Deposit(2, "seed", 1, 200),
            Deposit(3, "k2", 5, 200),
            Deposit(4, "k3", 7, null, Attempt.PoolFull), // never sent: not in the sum
        ];

        var audit = await LedgerAudit.RunAsync(records, http);

        Assert.True(audit.Exact, audit.ToString());
        Assert.Equal((2, 0, 1), (audit.Acknowledged, audit.Unknown, audit.NeverSent));
    }
}
