using ActorService.Actors.Wire;
using Akka.Actor;
using static ActorService.Actors.Wire.MalformedWireMessageException;
using static ActorService.Node.Clustering.LedgerGateMessages;
using P = ActorService.Node.Clustering.Wire;

namespace ActorService.Node.Clustering;

/// <summary>
/// The ledger gate's wire format (<c>ledger_gate_messages.proto</c>, schema version 1), which also carries the membership
/// questions of a node woken from a pause. hocon.conf binds every type of <see cref="LedgerGateMessages"/> and
/// <see cref="MembershipQuestions"/> here. Manifests are the names below, fixed for good; tests/Node.Tests/Wire holds the
/// bytes each one was first written as.
/// </summary>
public sealed class LedgerGateMessageSerializer(ExtendedActorSystem system) : ProtobufWireSerializer(system, "ledger-gate", Table)
{
    /// <summary>Fixed for good: a node reads the serializer of a payload by this number.</summary>
    public const int Id = 4102;

    public override int Identifier => Id;

    // A ledger id is what the gate compares: an empty one would be "another ledger" and refuse a node for no reason.
    private static readonly IReadOnlyList<WireEntry> Table =
    [
        WireEntry.For<JoinCheck, P.JoinCheck>("join-check", P.JoinCheck.Parser,
            m => new P.JoinCheck { LedgerId = m.LedgerId, Address = m.Address, AppVersion = m.AppVersion },
            p => new JoinCheck(NotEmpty(p.LedgerId, "ledger_id"), p.Address, p.AppVersion)),
        WireEntry.For<JoinCheckResult, P.JoinCheckResult>("join-check-result", P.JoinCheckResult.Parser,
            m => new P.JoinCheckResult { LedgerId = m.LedgerId, Accepted = m.Accepted },
            p => new JoinCheckResult(NotEmpty(p.LedgerId, "ledger_id"), p.Accepted)),
        WireEntry.For<WhichLedger, P.WhichLedger>("which-ledger", P.WhichLedger.Parser, _ => new P.WhichLedger(), _ => new WhichLedger()),
        WireEntry.For<LedgerIs, P.LedgerIs>("ledger-is", P.LedgerIs.Parser,
            m => new P.LedgerIs { LedgerId = m.LedgerId },
            p => new LedgerIs(NotEmpty(p.LedgerId, "ledger_id"))),
        WireEntry.For<MembershipQuestions.HowDoYouSeeMe, P.HowDoYouSeeMe>("how-do-you-see-me", P.HowDoYouSeeMe.Parser,
            m => new P.HowDoYouSeeMe { Address = m.Address, Uid = m.Uid },
            p => new MembershipQuestions.HowDoYouSeeMe(NotEmpty(p.Address, "address"), p.Uid)),
        WireEntry.For<MembershipQuestions.ISeeYou, P.ISeeYou>("i-see-you", P.ISeeYou.Parser,
            m => new P.ISeeYou { Member = m.Member, Status = m.Status, Reachable = m.Reachable, AnyUnreachable = m.AnyUnreachable },
            p => new MembershipQuestions.ISeeYou(p.Member, p.Status, p.Reachable, p.AnyUnreachable)),
    ];
}
