using ActorService.Actors.Accounts;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;
using static ActorService.Node.Clustering.LedgerGateMessages;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// One message per manifest, with every field set to a value other than its default, so each field's bytes are in the
/// golden files. A new message needs a specimen here (the golden specs fail without one); a specimen never changes once
/// its golden file is checked in.
/// </summary>
internal static class WireSpecimens
{
    private const string Account = "acct-Wire_1";
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private const string Ledger = "5d0b8f0e-2c1a-4c8e-9a51-3f7c2b6d9e10";

    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> BySerializer =
        new Dictionary<string, IReadOnlyDictionary<string, object>>
        {
            ["accounts"] = new Dictionary<string, object>
            {
                ["apply-write"] = new ApplyWrite(Account, LedgerOperation.Withdraw, 1234, "idem-key-1", "req-1", TraceParent, TimeSpan.FromMilliseconds(250)),
                ["get-balance"] = new GetBalance(Account, TraceParent),
                ["stop-entity"] = StopEntity.Instance,
                ["write-accepted"] = new WriteAccepted(Account, 5000, 7, true),
                ["balance"] = new Balance(Account, 5000, 7),
                ["not-found"] = new NotFound(Account),
                ["insufficient-funds"] = new InsufficientFunds(Account, 100, 250, 3),
                ["balance-overflow"] = new BalanceOverflow(Account, long.MaxValue - 1, 2, 9),
                ["key-reused"] = new KeyReused(Account, "idem-key-1", LedgerOperation.Deposit, 77),
                ["unavailable"] = new Unavailable(Account, "the database refused before the commit started"),
                ["outcome-unknown"] = new OutcomeUnknown(Account, "the commit timed out"),
                ["failed"] = new Failed(Account, "the command broke an invariant"),
            },
            ["ledger-gate"] = new Dictionary<string, object>
            {
                ["join-check"] = new JoinCheck(Ledger, "akka.tcp://actor-service@10.0.0.5:4053", "1.4.0"),
                ["join-check-result"] = new JoinCheckResult(Ledger, true),
                ["which-ledger"] = new WhichLedger(),
                ["ledger-is"] = new LedgerIs(Ledger),
                ["how-do-you-see-me"] = new ActorService.Node.Clustering.MembershipQuestions.HowDoYouSeeMe("akka.tcp://actor-service@10.0.0.5:4053", 4242424242L),
                ["i-see-you"] = new ActorService.Node.Clustering.MembershipQuestions.ISeeYou(true, "Up", true, true),
            },
        };
}
