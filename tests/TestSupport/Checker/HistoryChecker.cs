using System.Net;

namespace ActorService.TestSupport;

/// <summary>
/// Checks a scenario's history against the database after it (issue 13): each write answered applied (2xx) is in the
/// ledger exactly once; each answered not applied (4xx, 503, never sent) is absent; each of unknown outcome is there
/// at most once, and every answer about a key — the scenario's and the checker's own retry — agrees with the ledger
/// (balance, version, applied or refused). Per account, the ledger's versions form one chain, and reads are
/// linearizable against acknowledged answers: an answer that starts after another ended shows its version or a newer
/// one, whichever node gave either. An answer without <c>version</c> gets the ledger's version for its key (writes) or
/// for its balance when only one state had that balance (reads); when neither works its order is counted as unordered.
/// </summary>
public static class HistoryChecker
{
    /// <summary>Reads the ledger of the history's accounts and checks the history against it.</summary>
    public static async Task<HistoryReport> CheckAsync(History history, ILedgerReader ledger, CancellationToken ct = default)
    {
        var accounts = history.Entries.Select(e => e.Account).Distinct().ToList();
        return Check(history, await ledger.ReadAsync(accounts, ct));
    }

    /// <summary>
    /// Settles each write of unknown outcome the way a client would: sends it again with its key until a definite
    /// answer (2xx or 4xx) or <paramref name="within"/> passes. The answers join the history as the checker's retries.
    /// </summary>
    public static async Task ResolveUnknownAsync(History history, HttpClient client, Func<TimeSpan> clock, TimeSpan? within = null)
    {
        var unknown = history.Entries.Where(e => e.IsWrite && e.Key is not null && !e.Resolution).GroupBy(e => (e.Account, e.Key))
            .Where(g => Outcome(g) == AnswerKind.Unknown).Select(g => g.First()).ToList();
        foreach (var write in unknown)
        {
            var deadline = clock() + (within ?? TimeSpan.FromSeconds(30));
            while (true)
            {
                var start = clock();
                HistoryEntry entry;
                try
                {
                    var answer = await LedgerClient.Write(client, write.Account, write.Operation == Operation.Deposit ? "deposit" : "withdraw",
                        write.Amount, write.Key, null, CancellationToken.None);
                    var body = AnswerBody.Parse(answer.Body.ValueKind == System.Text.Json.JsonValueKind.Undefined ? "" : answer.Body.GetRawText());
                    entry = write with
                    {
                        Start = start, End = clock(), Status = (int)answer.Status, Error = null, Problem = body.Problem, Applied = body.Applied,
                        Balance = body.Balance, Version = body.Version, Node = answer.Response.Headers.TryGetValues(OrdinaryClient.ServedByHeader, out var n) ? n.First() : null,
                        Resolution = true,
                    };
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    entry = write with { Start = start, End = clock(), Status = null, Error = OrdinaryClient.Classify(e), Resolution = true };
                }
                history.Add(entry);
                if (entry.Kind != AnswerKind.Unknown && entry.Status != (int)HttpStatusCode.ServiceUnavailable) break;
                if (clock() > deadline) break;
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    /// <summary>What the scenario's client was told about one write (all its attempts, not the checker's retries).</summary>
    private static AnswerKind Outcome(IEnumerable<HistoryEntry> attempts)
    {
        var told = attempts.Where(e => !e.Resolution).ToList();
        return told.Any(e => e.Kind == AnswerKind.Applied) ? AnswerKind.Applied
            : told.Any(e => e.Kind == AnswerKind.Unknown) ? AnswerKind.Unknown
            : AnswerKind.NotApplied;
    }

    public static HistoryReport Check(History history, LedgerSnapshot ledger)
    {
        var entries = history.Entries;
        // Real-time order rests on each exchange's interval containing the server's handling of it.
        if (entries.FirstOrDefault(e => e.End < e.Start) is { } backwards)
            throw new ArgumentException($"a history entry ends before it starts (the client's clock is not usable): {backwards}");
        var v = new Violations();
        var rowsByKey = ledger.Rows.GroupBy(r => (r.Account, r.Key)).ToDictionary(g => g.Key, g => g.ToList());
        var chains = ledger.Rows.GroupBy(r => r.Account).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Version).ToList());

        var requests = entries.Where(e => !e.Resolution).GroupBy(e => e.Op).Select(g => g.First()).ToList();
        int applied = 0, notApplied = 0, neverSent = 0, unknown = 0, foundApplied = 0, foundAbsent = 0;

        var keyed = entries.Where(e => e.IsWrite && e.Key is not null).GroupBy(e => (e.Account, Key: e.Key!)).ToList();
        foreach (var write in keyed)
        {
            var attempts = write.OrderBy(e => e.Start).ToList();
            var first = attempts[0];
            var rows = rowsByKey.GetValueOrDefault((write.Key.Account, write.Key.Key)) ?? [];
            var row = rows.FirstOrDefault();
            var kind = Outcome(attempts);
            if (rows.Count > 1) v.Add(nameof(HistoryReport.Doubled), $"doubled: {first} is in the ledger {rows.Count} times (versions {string.Join(", ", rows.Select(r => r.Version))})");
            if (row is not null && (row.Operation != first.Operation || row.Amount != first.Amount))
                v.Add(nameof(HistoryReport.Inconsistent), $"wrong entry: {first}; the ledger has {row.Operation} {row.Amount} under its key");
            switch (kind)
            {
                case AnswerKind.Applied:
                    applied++;
                    if (row is null) v.Add(nameof(HistoryReport.Lost), $"lost: {attempts.First(e => e.Kind == AnswerKind.Applied && !e.Resolution)} — not in the ledger");
                    break;
                case AnswerKind.NotApplied:
                    notApplied++;
                    if (attempts.Where(e => !e.Resolution).All(e => e.Error == Attempt.PoolFull)) neverSent++;
                    if (row is not null)
                        v.Add(nameof(HistoryReport.FalselyRefused), $"answered not applied, but applied: {attempts.Last(e => !e.Resolution)} — in the ledger as version {row.Version}");
                    break;
                default:
                    unknown++;
                    if (row is null) foundAbsent++; else foundApplied++;
                    break;
            }
            var contradictions = attempts.Select(e => Contradiction(e, row, kind)).Where(c => c is not null).ToList();
            if (contradictions.Count > 0) v.Add(nameof(HistoryReport.Inconsistent), contradictions[0]!);
        }

        var explained = keyed.Select(g => g.Key).ToHashSet();
        var unkeyedAccounts = entries.Where(e => e.IsWrite && e.Key is null).Select(e => e.Account).ToHashSet();
        foreach (var row in ledger.Rows.Where(r => !explained.Contains((r.Account, r.Key)) && !unkeyedAccounts.Contains(r.Account)))
            v.Add(nameof(HistoryReport.Phantom), $"phantom: {row.Operation} {row.Amount} to {row.Account} under key {row.Key} (version {row.Version}) — no request of the history has that key");

        foreach (var (account, chain) in chains) CheckChain(account, chain, ledger.Accounts.FirstOrDefault(a => a.Account == account), v);

        var order = CheckOrder(entries, rowsByKey, chains, v);
        return new HistoryReport
        {
            Sent = requests.Count,
            Writes = requests.Count(e => e.IsWrite),
            Reads = requests.Count(e => !e.IsWrite),
            Applied = applied,
            NotApplied = notApplied,
            NeverSent = neverSent,
            Unknown = unknown,
            UnknownFoundApplied = foundApplied,
            UnknownFoundAbsent = foundAbsent,
            Lost = v.Count(nameof(HistoryReport.Lost)),
            Doubled = v.Count(nameof(HistoryReport.Doubled)),
            FalselyRefused = v.Count(nameof(HistoryReport.FalselyRefused)),
            Inconsistent = v.Count(nameof(HistoryReport.Inconsistent)),
            Phantom = v.Count(nameof(HistoryReport.Phantom)),
            ChainBreaks = v.Count(nameof(HistoryReport.ChainBreaks)),
            StaleReads = v.Count(nameof(HistoryReport.StaleReads)),
            OrderViolations = v.Count(nameof(HistoryReport.OrderViolations)),
            ReadsChecked = order.ReadsChecked,
            VersionsInferred = order.Inferred,
            OrderUnchecked = order.Unchecked,
            WritesWithoutKey = entries.Where(e => e.IsWrite && e.Key is null && !e.Resolution).Select(e => e.Op).Distinct().Count(),
            Violations = v.All,
        };
    }

    /// <summary>Why an answer about a write contradicts the ledger row of its key (null when it does not).</summary>
    private static string? Contradiction(HistoryEntry e, LedgerRow? row, AnswerKind told)
    {
        if (e.Kind == AnswerKind.Applied)
        {
            if (row is null) return told == AnswerKind.Applied && !e.Resolution ? null /* counted as lost */ : $"answered 2xx, but not in the ledger: {e}";
            if (e.Version is { } version && version != row.Version) return $"answered version {version}, the ledger has {row.Version}: {e}";
            if (e.Balance is { } balance && balance != row.BalanceAfter) return $"answered balance {balance}, the ledger has {row.BalanceAfter} after it: {e}";
            return null;
        }
        // A refusal (4xx) is a definite "not applied": a repeat of an applied write must not say it. (A first answer
        // of 4xx/503 that is in the ledger is counted as falsely refused instead.)
        if (e.Status is >= 400 and < 500 && row is not null && (e.Resolution || told != AnswerKind.NotApplied))
            return $"answered {e.Status} {e.Problem}, but the write is in the ledger as version {row.Version}: {e}";
        return null;
    }

    private static void CheckChain(string account, List<LedgerRow> chain, AccountRow? state, Violations v)
    {
        long balance = 0, version = 0;
        foreach (var row in chain)
        {
            var expected = row.Operation == Operation.Deposit ? balance + row.Amount : balance - row.Amount;
            if (row.Version != version + 1)
                v.Add(nameof(HistoryReport.ChainBreaks), $"chain of {account}: version {row.Version} follows {version} (key {row.Key})");
            else if (row.BalanceAfter != expected)
                v.Add(nameof(HistoryReport.ChainBreaks), $"chain of {account}: version {row.Version} ({row.Operation} {row.Amount}) has balance {row.BalanceAfter}, expected {expected}");
            balance = row.BalanceAfter;
            version = row.Version;
        }
        if (state is not null && (state.Balance != balance || state.Version != version))
            v.Add(nameof(HistoryReport.ChainBreaks), $"chain of {account}: the account row says balance {state.Balance} version {state.Version}, its ledger ends at balance {balance} version {version}");
    }

    /// <summary>An answer's place in its account's order: a version it showed (or that was inferred), and whether it must be new.</summary>
    private sealed record Observation(HistoryEntry Entry, long Version, bool Checked, bool Fresh);

    private static (int ReadsChecked, int Inferred, int Unchecked) CheckOrder(IReadOnlyList<HistoryEntry> entries,
        Dictionary<(string, string), List<LedgerRow>> rowsByKey, Dictionary<string, List<LedgerRow>> chains, Violations v)
    {
        int readsChecked = 0, inferred = 0, unordered = 0;
        foreach (var account in entries.GroupBy(e => e.Account))
        {
            var chain = chains.GetValueOrDefault(account.Key) ?? [];
            var observations = new List<Observation>();
            foreach (var e in account)
            {
                if (e.Operation == Operation.Read)
                {
                    if (e.Status == 404) { observations.Add(new Observation(e, 0, true, false)); readsChecked++; continue; }
                    if (e.Kind != AnswerKind.Applied) continue;
                    if (e.Version is { } shown)
                    {
                        var state = chain.FirstOrDefault(r => r.Version == shown);
                        if (state is null || (e.Balance is { } b && b != state.BalanceAfter))
                            v.Add(nameof(HistoryReport.Inconsistent), $"read showed a state the ledger never had (version {shown}, balance {e.Balance}): {e}");
                        observations.Add(new Observation(e, shown, true, false));
                        readsChecked++;
                        continue;
                    }
                    var same = e.Balance is { } balance ? chain.Where(r => r.BalanceAfter == balance).ToList() : [];
                    if (same.Count == 1) { observations.Add(new Observation(e, same[0].Version, true, false)); readsChecked++; inferred++; }
                    else if (same.Count == 0 && e.Balance is not null)
                        v.Add(nameof(HistoryReport.Inconsistent), $"read showed a balance the ledger never had: {e}");
                    else unordered++;
                }
                else if (e.Status == 409 && e.Version is { } refusedOn)
                {
                    // A refusal (insufficient funds, overflow) names the state it was decided on. The first answer for
                    // its key is a fresh decision and must not be older than what was acknowledged before it started
                    // (a refusal on a stale balance); a repeat returns the stored refusal, an old state: a lower bound only.
                    var state = chain.FirstOrDefault(r => r.Version == refusedOn);
                    if (refusedOn > 0 && (state is null || (e.Balance is { } b && b != state.BalanceAfter)))
                        v.Add(nameof(HistoryReport.Inconsistent), $"refused on a state the ledger never had (version {refusedOn}, balance {e.Balance}): {e}");
                    var firstOfKey = account.Where(x => x.Key == e.Key).MinBy(x => x.Start) == e;
                    observations.Add(new Observation(e, refusedOn, firstOfKey && !e.Resolution, false));
                }
                else if (e.Kind == AnswerKind.Applied && e.Key is not null)
                {
                    var row = rowsByKey.GetValueOrDefault((e.Account, e.Key))?.FirstOrDefault();
                    var version = e.Version ?? row?.Version;
                    if (version is null) { unordered++; continue; }
                    if (e.Version is null) inferred++;
                    // A repeat (applied: false) shows the original write's version: a lower bound for later answers, not a new state.
                    observations.Add(new Observation(e, version.Value, e.Applied == true, e.Applied == true));
                }
            }
            CheckAccountOrder(observations, v);
        }
        return (readsChecked, inferred, unordered);
    }

    /// <summary>Each checked answer against the newest version acknowledged before it started (sorted ends, prefix maximum).</summary>
    private static void CheckAccountOrder(List<Observation> observations, Violations v)
    {
        var byEnd = observations.OrderBy(o => o.Entry.End).ToList();
        var ends = byEnd.Select(o => o.Entry.End).ToArray();
        var newest = new Observation[byEnd.Count];
        for (var i = 0; i < byEnd.Count; i++)
            newest[i] = i > 0 && newest[i - 1].Version >= byEnd[i].Version ? newest[i - 1] : byEnd[i];
        foreach (var o in observations.Where(o => o.Checked))
        {
            var before = LastEndingBefore(ends, o.Entry.Start);
            if (before < 0) continue;
            var bound = newest[before];
            if (!o.Fresh && o.Version < bound.Version)
                v.Add(nameof(HistoryReport.StaleReads),
                    $"{(o.Entry.Operation == Operation.Read ? "stale read" : "stale refusal")}: {o.Entry} showed version {o.Version}, but version {bound.Version} was acknowledged before it started: {bound.Entry}");
            else if (o.Fresh && o.Version <= bound.Version)
                v.Add(nameof(HistoryReport.OrderViolations),
                    $"write out of order: {o.Entry} got version {o.Version}, but version {bound.Version} was acknowledged before it started: {bound.Entry}");
        }
    }

    private static int LastEndingBefore(TimeSpan[] ends, TimeSpan start)
    {
        int lo = 0, hi = ends.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (ends[mid] < start) { found = mid; lo = mid + 1; } else hi = mid - 1;
        }
        return found;
    }

    /// <summary>Violations by kind, in the order found.</summary>
    private sealed class Violations
    {
        private readonly List<(string Kind, string Text)> _all = [];
        public void Add(string kind, string text) => _all.Add((kind, text));
        public int Count(string kind) => _all.Count(x => x.Kind == kind);
        public IReadOnlyList<string> All => _all.Select(x => x.Text).ToList();
    }
}
