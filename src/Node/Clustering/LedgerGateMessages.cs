namespace ActorService.Node.Clustering;

/// <summary>
/// What nodes tell each other about the ledger database they serve (<see cref="LedgerGate"/>). These cross the wire
/// between nodes, including between two releases during a rolling deploy: fields are only ever added.
/// </summary>
public static class LedgerGateMessages
{
    /// <summary>A node about to join asks a seed (or a member the bootstrap found) whether its ledger is the cluster's.</summary>
    public sealed record JoinCheck(string LedgerId, string Address, string AppVersion);

    /// <summary>The answer: the cluster's ledger id, and whether the asking node may join.</summary>
    public sealed record JoinCheckResult(string LedgerId, bool Accepted);

    /// <summary>A member asks a new member which ledger it serves (the check of members that joined another way).</summary>
    public sealed record WhichLedger;

    /// <summary>The ledger id a node serves.</summary>
    public sealed record LedgerIs(string LedgerId);
}
