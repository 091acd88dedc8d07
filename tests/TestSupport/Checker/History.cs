namespace ActorService.TestSupport;

/// <summary>What an answer tells the client about its write (docs/api.md, "three kinds of answer").</summary>
public enum AnswerKind
{
    /// <summary>2xx: the write is in the ledger, once.</summary>
    Applied,
    /// <summary>4xx, 503, or never sent (<c>pool-full</c>): certainly not applied.</summary>
    NotApplied,
    /// <summary>504 <c>outcome-unknown</c>, any other 5xx, a transport error or a client timeout: maybe applied.</summary>
    Unknown,
}

/// <summary>
/// One HTTP exchange as the client saw it, on the client's clock: issued at <see cref="Start"/> (never later than it
/// reached a node), answered at <see cref="End"/> (never earlier than the node answered). Attempts of one request share
/// <see cref="Op"/>; a write's attempts share its <see cref="Key"/>.
/// </summary>
public sealed record HistoryEntry(long Op, Operation Operation, string Account, long Amount, string? Key, TimeSpan Start, TimeSpan End)
{
    public int? Status { get; init; }
    /// <summary>Transport error kind ("timeout", "connection-reset", "pool-full"); null when an answer came.</summary>
    public string? Error { get; init; }
    public string? Problem { get; init; }
    public bool? Applied { get; init; }
    public long? Balance { get; init; }
    public long? Version { get; init; }
    /// <summary>Which node answered (HAProxy's <c>X-Served-By</c>).</summary>
    public string? Node { get; init; }
    /// <summary>Sent by the checker after the scenario to settle an unknown outcome (not part of what the scenario's client was told).</summary>
    public bool Resolution { get; init; }

    public bool IsWrite => Operation != Operation.Read;

    public AnswerKind Kind => Status switch
    {
        >= 200 and < 300 => AnswerKind.Applied,
        >= 400 and < 500 or 503 => AnswerKind.NotApplied,
        null when Error == Attempt.PoolFull => AnswerKind.NotApplied,
        _ => AnswerKind.Unknown,
    };

    public override string ToString()
    {
        var what = Operation == Operation.Read ? $"read {Account}" : $"{Operation.ToString().ToLowerInvariant()} {Amount} to {Account} key {Key}";
        var answer = Error ?? $"{Status}{(Problem is null ? "" : " " + Problem)}{(Version is null ? "" : $" v{Version}")}{(Balance is null ? "" : $" balance {Balance}")}";
        return $"op {Op} {what} [{Start.TotalSeconds:0.000}–{End.TotalSeconds:0.000} s] → {answer}{(Node is null ? "" : $" from {Node}")}{(Resolution ? " (checker's retry)" : "")}";
    }
}

/// <summary>Every exchange of a scenario, in the order they were recorded.</summary>
public sealed class History
{
    private readonly List<HistoryEntry> _entries = [];

    public IReadOnlyList<HistoryEntry> Entries
    {
        get { lock (_entries) return [.. _entries]; }
    }

    public void Add(HistoryEntry entry)
    {
        lock (_entries) _entries.Add(entry);
    }

    /// <summary>The history of a load: each attempt of each request, as the client saw it.</summary>
    public static History From(IEnumerable<RequestRecord> records)
    {
        var history = new History();
        foreach (var r in records)
            foreach (var a in r.Attempts)
                history.Add(new HistoryEntry(r.Seq, r.Operation, r.Account, r.Amount, r.Key, a.Start, a.End)
                {
                    Status = a.Status,
                    Error = a.Error,
                    Problem = a.ProblemType,
                    Applied = a.Applied,
                    Balance = a.Balance,
                    Version = a.Version,
                    Node = a.Node,
                });
        return history;
    }
}
