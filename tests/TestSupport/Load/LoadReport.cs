using System.Globalization;
using System.Text;

namespace ActorService.TestSupport;

/// <summary>
/// Figures of one load run: failed/sent by cause, latency percentiles overall and per second around each marked event,
/// and the recovery time after each event. Latency is from a request's due time to its final answer; requests that
/// never left the client (<c>pool-full</c>) count as failures and not in the latency, whose figures would flatter.
/// </summary>
public sealed class LoadReport(IEnumerable<RequestRecord> records)
{
    /// <summary>The p99 a second must stay under to count as recovered (the rolling-restart target of issue 17).</summary>
    public static readonly TimeSpan DefaultRecoveryP99 = TimeSpan.FromMilliseconds(500);

    public IReadOnlyList<RequestRecord> Records { get; } = records.OrderBy(r => r.Start).ToList();
    public int Sent => Records.Count;
    public int Succeeded => Records.Count(r => r.Ok);
    public IReadOnlyList<RequestRecord> Failed => Records.Where(r => !r.Ok).ToList();
    /// <summary>Every attempt, including the ones a client retried after a Retry-After.</summary>
    public IEnumerable<Attempt> Attempts => Records.SelectMany(r => r.Attempts);
    public int RetriedAfter503 => Records.Count(r => r.Attempts.Count > 1);

    /// <summary>Failed requests by the cause of their final attempt: "timeout", "pool-full", "503 draining", ...</summary>
    public IReadOnlyDictionary<string, int> FailuresByKind =>
        Failed.GroupBy(r => r.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    public IReadOnlyDictionary<string, int> AttemptFailuresByKind =>
        Attempts.Where(a => !a.Ok).GroupBy(a => a.Cause).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    public static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        if (sorted.Count == 0) return TimeSpan.Zero;
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Latency of the requests due within [from, to) that were sent (first due time to final answer).</summary>
    public (int Count, TimeSpan P50, TimeSpan P99, TimeSpan Max) Latency(TimeSpan from, TimeSpan to) =>
        Figures(Records.Where(r => r.Start >= from && r.Start < to));

    private static (int Count, TimeSpan P50, TimeSpan P99, TimeSpan Max) Figures(IEnumerable<RequestRecord> requests)
    {
        var window = requests.Where(r => !r.NeverSent).Select(r => r.End - r.Start).ToList();
        return (window.Count, Percentile(window, 50), Percentile(window, 99), window.Count == 0 ? TimeSpan.Zero : window.Max());
    }

    /// <summary>One second of the load, relative to an event: requests due in it, how many failed, their latency.</summary>
    public sealed record Second(int Offset, int Sent, int Failed, TimeSpan P50, TimeSpan P99, TimeSpan Max)
    {
        public bool Good(TimeSpan p99Limit) => Failed == 0 && P99 <= p99Limit;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Offset,3:+0;-0;0} s: {Sent,4} sent, {Failed,4} failed, p50 {Ms(P50)}, p99 {Ms(P99)}, max {Ms(Max)}");
    }

    /// <summary>The seconds [at + from, at + to) one by one.</summary>
    public IReadOnlyList<Second> PerSecond(TimeSpan at, int from, int to) =>
        Enumerable.Range(from, to - from).Select(k =>
        {
            var bucket = Records.Where(r => r.Start >= at + TimeSpan.FromSeconds(k) && r.Start < at + TimeSpan.FromSeconds(k + 1)).ToList();
            var (_, p50, p99, max) = Figures(bucket);
            return new Second(k, bucket.Count, bucket.Count(r => !r.Ok), p50, p99, max);
        }).ToList();

    /// <summary>
    /// Recovery time after an event at <paramref name="at"/>: the first whole second after it from which every second up
    /// to <paramref name="until"/> had no failure and a p99 under <paramref name="p99Limit"/> (0 when the event was
    /// never noticed); null when the load had not recovered by <paramref name="until"/>.
    /// </summary>
    public TimeSpan? RecoveryAfter(TimeSpan at, TimeSpan until, TimeSpan? p99Limit = null)
    {
        var limit = p99Limit ?? DefaultRecoveryP99;
        var seconds = PerSecond(at, 0, Math.Max(1, (int)Math.Ceiling((until - at).TotalSeconds)));
        var lastBad = -1;
        for (var k = 0; k < seconds.Count; k++)
            if (!seconds[k].Good(limit)) lastBad = k;
        return lastBad == seconds.Count - 1 ? null : TimeSpan.FromSeconds(lastBad + 1);
    }

    /// <summary>
    /// Per event: its recovery time (until the next event, or the end of the load) and the seconds around it, from
    /// <paramref name="before"/> seconds before to <paramref name="after"/> after. Marks less than a second apart
    /// (e.g. "node1 back" and "SIGTERM node2") are one event. Lines for the scenario's figures.
    /// </summary>
    public IEnumerable<string> Events(IReadOnlyList<(TimeSpan At, string Label)> marks, TimeSpan? p99Limit = null, int before = 2, int after = 8)
    {
        var limit = p99Limit ?? DefaultRecoveryP99;
        var end = Records.Count == 0 ? TimeSpan.Zero : Records.Max(r => r.Start);
        var events = Coincident(marks);
        for (var i = 0; i < events.Count; i++)
        {
            var (at, label) = events[i];
            var until = i + 1 < events.Count ? events[i + 1].At : end;
            var recovery = RecoveryAfter(at, until, limit);
            var when = recovery is { } r
                ? FormattableString.Invariant($"{r.TotalSeconds:0} s after it")
                : FormattableString.Invariant($"not before the next event {(until - at).TotalSeconds:0.0} s later");
            yield return FormattableString.Invariant($"event \"{label}\" at {at.TotalSeconds:0.0} s: recovered (no failure, p99 ≤ {Ms(limit)}) {when}");
            foreach (var second in PerSecond(at, -before, after)) yield return "    " + second;
        }
    }

    /// <summary>Marks less than a second after the first of a group join it: one event, the labels joined.</summary>
    public static IReadOnlyList<(TimeSpan At, string Label)> Coincident(IReadOnlyList<(TimeSpan At, string Label)> marks)
    {
        var events = new List<(TimeSpan At, string Label)>();
        foreach (var (at, label) in marks.OrderBy(m => m.At))
            if (events.Count > 0 && at - events[^1].At < TimeSpan.FromSeconds(1)) events[^1] = (events[^1].At, events[^1].Label + " + " + label);
            else events.Add((at, label));
        return events;
    }

    /// <summary>How long after a node reported ready <see cref="ColdStart"/> looks: issue 17's cold-start window.</summary>
    public static readonly TimeSpan ColdStartWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A node's cold start (issue 17: p99 ≤ 250 ms over the first 5 s after it reports ready): the requests due in the
    /// window after <paramref name="readyAt"/>, all of them and those <paramref name="node"/> answered (<c>X-Served-By</c>
    /// of the final attempt). The second is the node's own signal: in a rolling restart the next node's drain begins
    /// right after this one is back, so the first also carries that node's hand-off.
    /// </summary>
    /// <param name="until">An earlier end of the window, with what happens then (the next node's hand-off in a rolling restart).</param>
    public string ColdStart(string node, TimeSpan readyAt, (TimeSpan At, string What)? until = null)
    {
        var end = until is { } u && u.At < readyAt + ColdStartWindow ? u.At : readyAt + ColdStartWindow;
        var due = Records.Where(r => r.Start >= readyAt && r.Start < end).ToList();
        var byNode = due.Where(r => r.Final.Node == node).ToList();
        var window = end == readyAt + ColdStartWindow
            ? $"the {ColdStartWindow.TotalSeconds:0} s after it reported ready at {readyAt.TotalSeconds:0.0} s"
            : $"the {(end - readyAt).TotalSeconds:0.0} s from ready at {readyAt.TotalSeconds:0.0} s to {until!.Value.What}";
        return string.Create(CultureInfo.InvariantCulture, $"{node} cold start ({window}): all {Line(due)}; served by {node} {Line(byNode)}");

        static string Line(List<RequestRecord> requests)
        {
            var (count, _, p99, max) = Figures(requests);
            var neverSent = requests.Count - count;
            return string.Create(CultureInfo.InvariantCulture,
                $"{requests.Count} requests, {requests.Count(r => !r.Ok)} failed{(neverSent > 0 ? $" ({neverSent} never sent)" : "")}, p99 {Ms(p99)}, max {Ms(max)}");
        }
    }

    public string Summary()
    {
        var all = Latency(TimeSpan.Zero, TimeSpan.MaxValue);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"sent {Sent} (deposits {Records.Count(r => r.Operation == Operation.Deposit)}, ");
        if (Records.Any(r => r.Operation == Operation.Withdraw)) s.Append(CultureInfo.InvariantCulture, $"withdrawals {Records.Count(r => r.Operation == Operation.Withdraw)}, ");
        s.Append(CultureInfo.InvariantCulture, $"reads {Records.Count(r => r.Operation == Operation.Read)}), ");
        s.Append(CultureInfo.InvariantCulture, $"succeeded {Succeeded}, failed {Sent - Succeeded}; ");
        s.Append(CultureInfo.InvariantCulture, $"latency p50 {Ms(all.P50)}, p99 {Ms(all.P99)}, max {Ms(all.Max)}");
        if (RetriedAfter503 > 0) s.Append(CultureInfo.InvariantCulture, $"; {RetriedAfter503} requests retried after Retry-After");
        foreach (var (kind, n) in AttemptFailuresByKind) s.Append(CultureInfo.InvariantCulture, $"\n  attempt outcome {kind}: {n}");
        foreach (var (kind, n) in FailuresByKind) s.Append(CultureInfo.InvariantCulture, $"\n  failed/sent {kind}: {n}/{Sent}");
        return s.ToString();
    }

    public static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");

    public static string Describe(RequestRecord r)
    {
        var what = r.Operation switch
        {
            Operation.Read => "read",
            var op => $"{op.ToString().ToLowerInvariant()} {r.Amount} key {r.Key}",
        };
        var attempts = string.Join(" → ", r.Attempts.Select(a => $"{a.Cause}{(a.Node is { } n ? $" from {n}" : "")} after {Ms(a.Latency)}"));
        return string.Create(CultureInfo.InvariantCulture, $"#{r.Seq} {what} {r.Account} at {r.Start.TotalSeconds:0.000}s: {attempts}");
    }
}
