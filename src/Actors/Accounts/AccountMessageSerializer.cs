using ActorService.Actors.Wire;
using Akka.Actor;
using Google.Protobuf.WellKnownTypes;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;
using static ActorService.Actors.Wire.MalformedWireMessageException;
using P = ActorService.Actors.Accounts.Wire;

namespace ActorService.Actors.Accounts;

/// <summary>
/// The account protocol's wire format (<c>account_messages.proto</c>, schema version 1): commands travel between shard
/// regions, replies come back to the asking node. hocon.conf binds every type of <see cref="AccountCommands"/> and
/// <see cref="AccountReplies"/> here. Manifests are the names below, fixed for good; tests/Node.Tests/Wire holds the
/// bytes each one was first written as, and every release must keep reading them.
/// </summary>
public sealed class AccountMessageSerializer(ExtendedActorSystem system) : ProtobufWireSerializer(system, "accounts", Table)
{
    /// <summary>Fixed for good: a node reads the serializer of a payload by this number.</summary>
    public const int Id = 4101;

    public override int Identifier => Id;

    private static readonly IReadOnlyList<WireEntry> Table =
    [
        WireEntry.For<ApplyWrite, P.ApplyWrite>("apply-write", P.ApplyWrite.Parser, ToProto,
            p => new ApplyWrite(Account(p.AccountId), FromProto(p.Operation), p.Amount, NotEmpty(p.IdempotencyKey, "idempotency_key"), p.RequestId,
                p.HasTraceParent ? p.TraceParent : null, p.ProcessingDelay?.ToTimeSpan())),
        WireEntry.For<GetBalance, P.GetBalance>("get-balance", P.GetBalance.Parser, ToProto,
            p => new GetBalance(Account(p.AccountId), p.HasTraceParent ? p.TraceParent : null)),
        WireEntry.For<StopEntity, P.StopEntity>("stop-entity", P.StopEntity.Parser, _ => new P.StopEntity(), _ => StopEntity.Instance),

        WireEntry.For<WriteAccepted, P.WriteAccepted>("write-accepted", P.WriteAccepted.Parser,
            m => new P.WriteAccepted { AccountId = m.AccountId, Balance = m.Balance, Version = m.Version, Applied = m.Applied },
            p => new WriteAccepted(Account(p.AccountId), p.Balance, p.Version, p.Applied)),
        WireEntry.For<Balance, P.Balance>("balance", P.Balance.Parser,
            m => new P.Balance { AccountId = m.AccountId, Value = m.Value, Version = m.Version },
            p => new Balance(Account(p.AccountId), p.Value, p.Version)),
        WireEntry.For<NotFound, P.NotFound>("not-found", P.NotFound.Parser,
            m => new P.NotFound { AccountId = m.AccountId },
            p => new NotFound(Account(p.AccountId))),
        WireEntry.For<InsufficientFunds, P.InsufficientFunds>("insufficient-funds", P.InsufficientFunds.Parser,
            m => new P.InsufficientFunds { AccountId = m.AccountId, Balance = m.Balance, Requested = m.Requested, Version = m.Version },
            p => new InsufficientFunds(Account(p.AccountId), p.Balance, p.Requested, p.Version)),
        WireEntry.For<BalanceOverflow, P.BalanceOverflow>("balance-overflow", P.BalanceOverflow.Parser,
            m => new P.BalanceOverflow { AccountId = m.AccountId, Balance = m.Balance, Requested = m.Requested, Version = m.Version },
            p => new BalanceOverflow(Account(p.AccountId), p.Balance, p.Requested, p.Version)),
        WireEntry.For<KeyReused, P.KeyReused>("key-reused", P.KeyReused.Parser,
            m => new P.KeyReused { AccountId = m.AccountId, IdempotencyKey = m.IdempotencyKey, OriginalOperation = ToProto(m.OriginalOperation), OriginalAmount = m.OriginalAmount },
            p => new KeyReused(Account(p.AccountId), p.IdempotencyKey, FromProto(p.OriginalOperation), p.OriginalAmount)),
        WireEntry.For<Unavailable, P.Reason>("unavailable", P.Reason.Parser,
            m => new P.Reason { AccountId = m.AccountId, Reason_ = m.Reason },
            p => new Unavailable(Account(p.AccountId), p.Reason_)),
        WireEntry.For<OutcomeUnknown, P.Reason>("outcome-unknown", P.Reason.Parser,
            m => new P.Reason { AccountId = m.AccountId, Reason_ = m.Reason },
            p => new OutcomeUnknown(Account(p.AccountId), p.Reason_)),
        WireEntry.For<Failed, P.Reason>("failed", P.Reason.Parser,
            m => new P.Reason { AccountId = m.AccountId, Reason_ = m.Reason },
            p => new Failed(Account(p.AccountId), p.Reason_)),
    ];

    private static P.ApplyWrite ToProto(ApplyWrite m)
    {
        var p = new P.ApplyWrite
        {
            AccountId = m.AccountId, Operation = ToProto(m.Operation), Amount = m.Amount, IdempotencyKey = m.IdempotencyKey, RequestId = m.RequestId,
            ProcessingDelay = m.ProcessingDelay is { } delay ? Duration.FromTimeSpan(delay) : null,
        };
        if (m.TraceParent is not null) p.TraceParent = m.TraceParent; // an optional string is unset by not assigning it
        return p;
    }

    private static P.GetBalance ToProto(GetBalance m)
    {
        var p = new P.GetBalance { AccountId = m.AccountId };
        if (m.TraceParent is not null) p.TraceParent = m.TraceParent;
        return p;
    }

    // Every account message names its account: the shard extractor and the gateway's reply matching rely on it.
    private static string Account(string accountId) => NotEmpty(accountId, "account_id");

    private static P.LedgerOperation ToProto(LedgerOperation operation) => operation switch
    {
        LedgerOperation.Deposit => P.LedgerOperation.Deposit,
        LedgerOperation.Withdraw => P.LedgerOperation.Withdraw,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no wire value for this operation"),
    };

    // An operation this release does not know (a newer release's, or 0) is refused rather than guessed.
    private static LedgerOperation FromProto(P.LedgerOperation operation) => operation switch
    {
        P.LedgerOperation.Deposit => LedgerOperation.Deposit,
        P.LedgerOperation.Withdraw => LedgerOperation.Withdraw,
        _ => throw new MalformedWireMessageException($"operation {(int)operation} is not one this release knows"),
    };
}
