namespace ActorService.TestSupport;

/// <summary>What a request does to its account.</summary>
public enum Operation { Deposit, Withdraw, Read }

/// <summary>One request the load sends: the operation, the account, the amount (writes) and the Idempotency-Key (writes).</summary>
public sealed record LoadRequest(Operation Operation, string Account, long Amount = 0, string? Key = null)
{
    public bool IsWrite => Operation != Operation.Read;
}

/// <summary>
/// One HTTP exchange of a request, on the load's clock: when it was issued, when it ended, and what came back — a status
/// with what the body and headers said, or a transport error kind (<c>pool-full</c> when it never got a connection).
/// </summary>
public sealed record Attempt(TimeSpan Start, TimeSpan End, int? Status, string? Error, string? ProblemType, bool? Applied)
{
    public const string PoolFull = "pool-full";
    public const string Timeout = "timeout";

    /// <summary>The server that answered, from HAProxy's <c>X-Served-By</c> (or the node itself when talked to directly).</summary>
    public string? Node { get; init; }
    public long? Balance { get; init; }
    /// <summary>The account's version in the answer; null when the node does not send one (then order cannot be checked).</summary>
    public long? Version { get; init; }
    /// <summary>The <c>Idempotency-Key</c> response header (the node's echo, or the key it minted).</summary>
    public string? ResponseKey { get; init; }
    public TimeSpan? RetryAfter { get; init; }

    public TimeSpan Latency => End - Start;
    public bool Ok => Status is >= 200 and < 300;
    /// <summary>False only when the attempt never left the client (no connection was free in time, or 512 were in flight).</summary>
    public bool Sent => Error != PoolFull;

    /// <summary>A short label: "200", "503 draining", "504 outcome-unknown", "timeout", "pool-full", "connection-refused".</summary>
    public string Cause => Error ?? (ProblemType is { } p ? $"{Status} {p}" : $"{Status}");
}

/// <summary>One logical request and all its attempts (more than one only when the client honours Retry-After).</summary>
public sealed record RequestRecord(long Seq, LoadRequest Request, IReadOnlyList<Attempt> Attempts)
{
    public Operation Operation => Request.Operation;
    public bool IsDeposit => Request.Operation == Operation.Deposit;
    public bool IsWrite => Request.IsWrite;
    public string Account => Request.Account;
    public long Amount => Request.Amount;
    public string? Key => Request.Key;
    /// <summary>Sent to set up the accounts before the load (part of the history, not of the load's figures).</summary>
    public bool Seeding { get; init; }
    public Attempt Final => Attempts[^1];
    /// <summary>When the request was due (open loop: its scheduled time, however late the client got to it).</summary>
    public TimeSpan Start => Attempts[0].Start;
    public TimeSpan End => Final.End;
    public bool Ok => Final.Ok;
    /// <summary>No attempt left the client: certainly not applied.</summary>
    public bool NeverSent => Attempts.All(a => !a.Sent);
    /// <summary>Outcome as a short label: "200", "503 draining", "timeout", "pool-full", ...</summary>
    public string Outcome => Final.Cause;
}
