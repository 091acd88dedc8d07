using System.Net;

namespace ActorService.TestSupport;

/// <summary>
/// Checks the ledger against what the load's client was told. Every deposit carried its own idempotency key, so:
/// a deposit whose outcome the client never learned (transport error, 5xx) is first resolved the way a real client
/// would, by sending it again with the same key (applied=false: it had been applied; applied=true: it had not), and
/// requests that share a key (a retry) are one deposit;
/// then every account's balance must equal the sum of its deposits, exactly. A shortfall is a lost acknowledged write,
/// an excess a duplicate. A deposit that never left the client (<c>pool-full</c>) is known not applied and left out.
/// Loads with withdrawals need the <see cref="HistoryChecker"/> (a sum cannot settle a refused withdrawal).
/// </summary>
public sealed class LedgerAudit
{
    public int Acknowledged { get; private init; }
    /// <summary>Deposits that never left the client (no free connection in time): known not applied.</summary>
    public int NeverSent { get; private init; }
    /// <summary>Deposits whose outcome the client never learned.</summary>
    public int Unknown { get; private init; }
    /// <summary>Unknown deposits that turned out to have been applied (the answer was lost, the write was not).</summary>
    public int UnknownButApplied { get; private init; }
    public int Accounts { get; private init; }
    public long Lost { get; private init; }
    public long Duplicated { get; private init; }
    public IReadOnlyList<string> Mismatches { get; private init; } = [];

    public bool Exact => Lost == 0 && Duplicated == 0 && Mismatches.Count == 0;

    public static async Task<LedgerAudit> RunAsync(IReadOnlyCollection<RequestRecord> records, HttpClient node)
    {
        if (records.Any(r => r.Operation == Operation.Withdraw))
            throw new ArgumentException("LedgerAudit sums deposits; a load with withdrawals is checked with HistoryChecker");
        // One write per key: a request sent again with its key (a seed retried after a timeout) is the same deposit.
        var writes = records.Where(r => r.IsDeposit).GroupBy(r => r.Key ?? $"#{r.Seq}")
            .Select(g => (Request: g.First(), Ok: g.Any(r => r.Ok), NeverSent: g.All(r => r.NeverSent))).ToList();
        var deposits = writes.Where(w => !w.NeverSent).ToList();
        var neverSent = writes.Count(w => w.NeverSent);
        var unknown = deposits.Where(w => !w.Ok).Select(w => w.Request).ToList();
        var appliedBefore = 0;
        foreach (var r in unknown)
        {
            var again = await Eventually.Get(async () =>
            {
                var a = await node.Deposit(r.Account, r.Amount, r.Key);
                return a.Status == HttpStatusCode.OK ? a : null;
            }, TimeSpan.FromSeconds(30), $"the repeat of deposit {r.Key} to be answered");
            if (!again.Applied) appliedBefore++;
        }

        var expected = deposits.GroupBy(w => w.Request.Account).ToDictionary(g => g.Key, g => g.Sum(w => w.Request.Amount));
        var mismatches = new List<string>();
        long lost = 0, duplicated = 0;
        foreach (var (account, sum) in expected)
        {
            var balance = (await Eventually.Get(async () =>
            {
                var a = await node.GetAccount(account);
                return a.Status == HttpStatusCode.OK ? a : null;
            }, TimeSpan.FromSeconds(30), $"the balance of {account}")).Balance;
            if (balance == sum) continue;
            if (balance < sum) lost += sum - balance; else duplicated += balance - sum;
            mismatches.Add($"{account}: balance {balance}, deposits sum {sum}");
        }
        return new LedgerAudit
        {
            Acknowledged = deposits.Count - unknown.Count,
            NeverSent = neverSent,
            Unknown = unknown.Count,
            UnknownButApplied = appliedBefore,
            Accounts = expected.Count,
            Lost = lost,
            Duplicated = duplicated,
            Mismatches = mismatches,
        };
    }

    public override string ToString() =>
        $"{Acknowledged} acknowledged deposits, {Unknown} with unknown outcome ({UnknownButApplied} of them had been applied), " +
        (NeverSent > 0 ? $"{NeverSent} never sent (pool-full), " : "") +
        $"{Accounts} accounts checked: lost {Lost}, duplicated {Duplicated}" +
        (Mismatches.Count == 0 ? "" : "; mismatches: " + string.Join("; ", Mismatches.Take(10)));
}
