using Akka.Actor;
using Akka.Event;
using Akka.Management.Cluster.Bootstrap;

namespace ActorService.Node.Clustering;

/// <summary>
/// Akka.Management's lowest-address join decider (<c>akka.management.cluster.bootstrap.join-decider.class</c>), with
/// the ledger check before joining an existing cluster: the seeds the bootstrap found are asked through this node's
/// <see cref="LedgerGate"/>, and a node of another ledger keeps probing while the gate shuts it down (exit code 5).
/// Forming a new cluster (JoinSelf) needs no check: there is nobody to compare with yet.
/// </summary>
public sealed class LedgerCheckingJoinDecider : LowestAddressJoinDecider
{
    private readonly ActorSystem _system;

    public LedgerCheckingJoinDecider(ActorSystem system, ClusterBootstrapSettings settings) : base(system, settings) => _system = system;

    public override async Task<IJoinDecision> Decide(SeedNodesInformation info)
    {
        var decision = await base.Decide(info);
        if (decision is not JoinOtherSeedNodes join) return decision;
        try
        {
            var result = await _system.ActorSelection($"/user/{LedgerGate.Name}")
                .Ask<LedgerGate.SeedsChecked>(new LedgerGate.CheckSeeds(join.SeedNodes.ToList()), LedgerGate.AnswerTimeout * 3);
            if (result.Verdict is LedgerGate.Verdict.Same or LedgerGate.Verdict.Unchecked)
            {
                Log.Info("Ledger check passed: {0}; joining [{1}]", result.Detail, string.Join(", ", join.SeedNodes));
                return decision;
            }
            Log.Info("Not joining [{0}] yet: ledger check {1}: {2}", string.Join(", ", join.SeedNodes), result.Verdict, result.Detail);
        }
        catch (AskTimeoutException)
        {
            Log.Info("Not joining [{0}] yet: the ledger gate did not answer", string.Join(", ", join.SeedNodes));
        }
        return KeepProbing.Instance;
    }
}
