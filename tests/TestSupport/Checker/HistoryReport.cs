using System.Globalization;
using System.Text;

namespace ActorService.TestSupport;

/// <summary>
/// What the history checker found: the counts the README's fault tables show, and each violation in words (which
/// request, which node answered, what the database holds).
/// </summary>
public sealed record HistoryReport
{
    /// <summary>Requests the scenario's client sent (reads and writes; retries of one request count once).</summary>
    public int Sent { get; init; }
    public int Writes { get; init; }
    public int Reads { get; init; }
    /// <summary>Writes answered 2xx.</summary>
    public int Applied { get; init; }
    /// <summary>Writes answered 4xx or 503, or never sent.</summary>
    public int NotApplied { get; init; }
    /// <summary>Of <see cref="NotApplied"/>: never left the client (<c>pool-full</c>).</summary>
    public int NeverSent { get; init; }
    /// <summary>Writes whose outcome the client never learned (504, other 5xx, transport error, timeout).</summary>
    public int Unknown { get; init; }
    public int UnknownFoundApplied { get; init; }
    public int UnknownFoundAbsent { get; init; }

    /// <summary>Acknowledged writes missing from the ledger.</summary>
    public int Lost { get; init; }
    /// <summary>Writes in the ledger more than once.</summary>
    public int Doubled { get; init; }
    /// <summary>Writes answered "not applied" (4xx, 503) that are in the ledger.</summary>
    public int FalselyRefused { get; init; }
    /// <summary>Answers that contradict the database: a balance or version not the ledger's, a refusal of a write that is there.</summary>
    public int Inconsistent { get; init; }
    /// <summary>Ledger rows of these accounts that no request of the history explains.</summary>
    public int Phantom { get; init; }
    /// <summary>Breaks in an account's chain of versions (a gap, a repeat, a balance that does not follow).</summary>
    public int ChainBreaks { get; init; }
    /// <summary>Reads (and first refusals, which name the state they were decided on) that showed an older version than one acknowledged before they started.</summary>
    public int StaleReads { get; init; }
    /// <summary>Writes placed in the ledger before a state acknowledged before they started.</summary>
    public int OrderViolations { get; init; }

    /// <summary>Reads with an answer whose order was checked.</summary>
    public int ReadsChecked { get; init; }
    /// <summary>Answers with no <c>version</c> whose version was inferred from the ledger (balance or key).</summary>
    public int VersionsInferred { get; init; }
    /// <summary>Answers whose order could not be checked: no <c>version</c>, and none could be inferred.</summary>
    public int OrderUnchecked { get; init; }
    /// <summary>Writes without an Idempotency-Key: the ledger cannot tell them apart.</summary>
    public int WritesWithoutKey { get; init; }

    public IReadOnlyList<string> Violations { get; init; } = [];

    public bool Ok => Lost == 0 && Doubled == 0 && FalselyRefused == 0 && Inconsistent == 0 && Phantom == 0 && ChainBreaks == 0
                      && StaleReads == 0 && OrderViolations == 0;

    /// <summary>The README table's header and this report's row.</summary>
    public const string TableHeader = "| sent | applied | not applied | unknown | stale reads | lost | doubled |\n|---|---|---|---|---|---|---|";

    public string TableRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Sent} | {Applied} | {NotApplied} | {Unknown} | {StaleReads} | {Lost} | {Doubled} |");

    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"history: {Sent} sent ({Writes} writes, {Reads} reads); writes applied {Applied}, not applied {NotApplied}");
        if (NeverSent > 0) s.Append(CultureInfo.InvariantCulture, $" ({NeverSent} never sent)");
        s.Append(CultureInfo.InvariantCulture, $", unknown {Unknown} (in the ledger {UnknownFoundApplied}, absent {UnknownFoundAbsent}); ");
        s.Append(CultureInfo.InvariantCulture, $"lost {Lost}, doubled {Doubled}, falsely refused {FalselyRefused}, inconsistent answers {Inconsistent}, ");
        s.Append(CultureInfo.InvariantCulture, $"phantom rows {Phantom}, chain breaks {ChainBreaks}, stale reads {StaleReads} of {ReadsChecked} checked, order violations {OrderViolations}");
        if (VersionsInferred > 0) s.Append(CultureInfo.InvariantCulture, $"; {VersionsInferred} answers carried no version (inferred from the ledger)");
        if (OrderUnchecked > 0) s.Append(CultureInfo.InvariantCulture, $"; order NOT checked for {OrderUnchecked} answers (no version, none inferable)");
        if (WritesWithoutKey > 0) s.Append(CultureInfo.InvariantCulture, $"; {WritesWithoutKey} writes without a key were not checked");
        foreach (var v in Violations.Take(30)) s.Append("\n  ").Append(v);
        if (Violations.Count > 30) s.Append(CultureInfo.InvariantCulture, $"\n  ... and {Violations.Count - 30} more");
        return s.ToString();
    }
}
