namespace ActorService.TestSupport.Tests.Checker;

/// <summary>Builds synthetic histories and ledgers: a write, a read, a ledger row, at given times (seconds on the client's clock).</summary>
internal sealed class Histories
{
    private long _op;

    public History History { get; } = new();
    public List<LedgerRow> Rows { get; } = [];
    public List<AccountRow> Accounts { get; } = [];

    public static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>A deposit's one attempt: status (null with an error), and what the answer said.</summary>
    public HistoryEntry Deposit(string account, long amount, string key, double start, double end, int? status = 200,
        long? balance = null, long? version = null, bool? applied = true, string? error = null, string? problem = null, string node = "node1")
    {
        var e = new HistoryEntry(++_op, Operation.Deposit, account, amount, key, S(start), S(end))
        {
            Status = status, Error = error, Problem = problem, Balance = status is >= 200 and < 300 ? balance : null,
            Version = status is >= 200 and < 300 ? version : null, Applied = status is >= 200 and < 300 ? applied : null, Node = node,
        };
        History.Add(e);
        return e;
    }

    /// <summary>Another attempt of the same request (same op and key), e.g. after a Retry-After, or the checker's own retry.</summary>
    public HistoryEntry Again(HistoryEntry first, double start, double end, int? status, long? balance = null, long? version = null,
        bool? applied = null, string? error = null, bool resolution = false)
    {
        var e = first with
        {
            Start = S(start), End = S(end), Status = status, Error = error, Balance = balance, Version = version, Applied = applied,
            Problem = null, Resolution = resolution,
        };
        History.Add(e);
        return e;
    }

    public HistoryEntry Withdraw(string account, long amount, string key, double start, double end, int? status, long? balance = null, long? version = null)
    {
        var e = new HistoryEntry(++_op, Operation.Withdraw, account, amount, key, S(start), S(end))
        {
            Status = status, Balance = balance, Version = version, Applied = status == 200 ? true : null, Problem = status == 409 ? "insufficient-funds" : null,
        };
        History.Add(e);
        return e;
    }

    public HistoryEntry Read(string account, double start, double end, int status = 200, long? balance = null, long? version = null, string node = "node2")
    {
        var e = new HistoryEntry(++_op, Operation.Read, account, 0, null, S(start), S(end)) { Status = status, Balance = balance, Version = version, Node = node };
        History.Add(e);
        return e;
    }

    /// <summary>A ledger row; <see cref="Account"/> then sets the account row from the rows.</summary>
    public Histories Row(string account, string key, long amount, long balanceAfter, long version, Operation operation = Operation.Deposit)
    {
        Rows.Add(new LedgerRow(account, key, operation, amount, balanceAfter, version));
        return this;
    }

    public LedgerSnapshot Ledger()
    {
        var states = Rows.GroupBy(r => r.Account).Select(g => g.MaxBy(r => r.Version)!).Select(r => new AccountRow(r.Account, r.BalanceAfter, r.Version));
        return new LedgerSnapshot(Rows, [.. states.Where(s => Accounts.All(a => a.Account != s.Account)), .. Accounts]);
    }

    public HistoryReport Check() => HistoryChecker.Check(History, Ledger());
}
