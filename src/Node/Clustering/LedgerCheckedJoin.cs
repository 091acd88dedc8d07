using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;

namespace ActorService.Node.Clustering;

/// <summary>
/// Joins the cluster only after the ledger check (<see cref="LedgerGate"/>). Akka joins <c>akka.cluster.seed-nodes</c>
/// by itself the moment the ActorSystem starts, before this node's database is even open; so the ActorSystem gets an
/// empty seed list (<see cref="WithoutSeedNodes"/>), and once the database is open this node asks the seeds' gates and
/// calls <see cref="Akka.Cluster.Cluster.JoinSeedNodes"/> itself: the same join Akka would have started, after the check.
/// With Kubernetes discovery the bootstrap joins, through <see cref="LedgerCheckingJoinDecider"/>.
/// </summary>
internal static class LedgerCheckedJoin
{
    private const string SeedNodesPath = "akka.cluster.seed-nodes";
    private static readonly TimeSpan RoundTimeout = LedgerGate.AnswerTimeout * 3;
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How soon a node that is not the first seed asks the seeds again while none has welcomed it. Akka's own join
    /// process asks again only after <c>akka.cluster.seed-node-timeout</c> (5 s) once every seed said it is not a member
    /// yet, which is what happens when the seeds start together: the first seed forms the cluster only after its own
    /// ledger check, a moment after the others first asked. Asking every second joins them as soon as it has formed.
    /// A seed that is already a member answers a repeated join with another Welcome ("Existing member is joining
    /// again"), so asking again is harmless. The first seed is never asked to start over: that would restart the
    /// deadline after which it forms a cluster of its own.
    /// </summary>
    private static readonly TimeSpan JoinAgainAfter = TimeSpan.FromSeconds(1);

    /// <summary>The seed nodes the configuration names (this node itself when none were given; none with Kubernetes discovery).</summary>
    public static IReadOnlyList<Address> SeedNodes(Akka.Configuration.Config hocon) =>
        hocon.GetStringList(SeedNodesPath, []).Select(Address.Parse).ToList();

    /// <summary>The configuration Akka sees: no seed nodes, so the cluster extension does not join by itself.</summary>
    public static Akka.Configuration.Config WithoutSeedNodes(Akka.Configuration.Config hocon) =>
        ConfigurationFactory.ParseString($"{SeedNodesPath} = []").WithFallback(hocon);

    /// <summary>
    /// Starts the ledger gate (once the database is open: actors start after the resources) and, with seed nodes, the
    /// checked join in the background, so a node whose seeds are not up yet still serves its probes meanwhile.
    /// </summary>
    public static AkkaConfigurationBuilder WithLedgerGate(this AkkaConfigurationBuilder builder, Func<(string LedgerId, string Where)> ledger,
        string appVersion, IReadOnlyList<Address> seeds, ILogger logger) =>
        builder
            .WithActors((system, registry) =>
            {
                var (ledgerId, where) = ledger();
                registry.Register<LedgerGate>(system.ActorOf(LedgerGate.Props(ledgerId, where, appVersion), LedgerGate.Name));
            })
            .AddStartup((system, registry) =>
            {
                if (seeds.Count > 0) _ = JoinAfterCheckAsync(system, registry.Get<LedgerGate>(), seeds, logger);
            });

    private static async Task JoinAfterCheckAsync(ActorSystem system, IActorRef gate, IReadOnlyList<Address> seeds, ILogger logger)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var shutdown = CoordinatedShutdown.Get(system);
        var selfIsSeed = seeds.Contains(cluster.SelfAddress);
        for (var round = 1; shutdown.ShutdownReason is null; round++)
        {
            LedgerGate.SeedsChecked result;
            try { result = await gate.Ask<LedgerGate.SeedsChecked>(new LedgerGate.CheckSeeds(seeds), RoundTimeout); }
            catch (AskTimeoutException) { result = new LedgerGate.SeedsChecked(LedgerGate.Verdict.Silent, "the ledger gate did not answer"); }
            catch (Exception) when (system.WhenTerminated.IsCompleted) { return; }

            switch (result.Verdict)
            {
                case LedgerGate.Verdict.Refused:
                    return; // the gate logged why and started the shutdown (exit code 5)
                case LedgerGate.Verdict.Silent when !selfIsSeed:
                    if (round == 1) logger.LogInformation("Ledger check: {Detail}; asking again every {Retry} before joining", result.Detail, RetryAfter);
                    await Task.Delay(RetryAfter);
                    continue;
                case LedgerGate.Verdict.Silent:
                    // A seed itself may have to form the cluster (Akka's first-seed rule); a seed of another ledger that
                    // comes up later and joins it is caught by the members' check.
                    logger.LogInformation("Ledger check: {Detail}; this node is a seed, joining [{Seeds}]", result.Detail, string.Join(", ", seeds));
                    break;
                default:
                    logger.LogInformation("Ledger check passed: {Detail}; joining [{Seeds}]", result.Detail, string.Join(", ", seeds));
                    break;
            }
            cluster.JoinSeedNodes(seeds);
            if (!seeds[0].Equals(cluster.SelfAddress)) await JoinAgainUntilWelcomedAsync(system, shutdown, cluster, seeds, logger);
            return;
        }
    }

    private static async Task JoinAgainUntilWelcomedAsync(ActorSystem system, CoordinatedShutdown shutdown, Akka.Cluster.Cluster cluster,
        IReadOnlyList<Address> seeds, ILogger logger)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Task.Delay(JoinAgainAfter);
            // Removed is the read view's word for "in no gossip yet": a Welcome makes this node Joining.
            if (shutdown.ShutdownReason is not null || system.WhenTerminated.IsCompleted || cluster.SelfMember.Status != MemberStatus.Removed) return;
            if (attempt == 1) logger.LogInformation("Not welcomed by a seed yet; asking the seeds again every {Seconds:0.#} s", JoinAgainAfter.TotalSeconds);
            cluster.JoinSeedNodes(seeds);
        }
    }
}
