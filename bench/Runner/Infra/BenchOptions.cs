namespace ActorService.Bench.Infra;

/// <summary>The command line of <c>bench/run.sh</c>: which scenarios, and how long each measurement lasts.</summary>
internal sealed record BenchOptions(string Set, int Rounds, int GateRounds, TimeSpan Measure, TimeSpan Warmup, int DrainRuns)
{
    public static readonly string[] Sets = ["quick", "all", "throughput", "drain", "faults", "memory"];

    /// <summary>Single scenarios, runnable by name (for development and re-runs).</summary>
    public static readonly string[] Scenarios =
        ["get", "deposit-sqlite", "deposit-postgres", "mixed", "intake-gate", "drain-single-node", "rolling-restart",
         "rolling-restart-cpu-quota", "kill-9", "freeze", "active-entities", "passivation"];

    public bool HelpRequested { get; private init; }

    public static string Usage =>
        """
        usage: bench/run.sh [quick|all|throughput|drain|faults|memory] [--rounds N] [--seconds N]
          quick       GET, SQLite deposits (group commit on/off), intake gate, one drain of each kind; short runs (~5 min)
          all         every scenario (~24 min); the only set that rewrites bench/RESULTS.md and the README table
          throughput  GET, deposits on SQLite and PostgreSQL, mixed, intake gate
          drain       SIGTERM-to-exit of one node idle and under load, rolling restart of 3 nodes behind HAProxy
          faults      3 nodes under the ordinary client: rolling restart in 0.6 CPU quotas, kill -9 of the oldest, 8 s SIGSTOP
          memory      RSS per active entity at 100,000 and 1,000,000 accounts, passivation
          NAME        one scenario: get, deposit-sqlite, deposit-postgres, mixed, intake-gate, drain-single-node,
                      rolling-restart, rolling-restart-cpu-quota, kill-9, freeze, active-entities, passivation
          --rounds N  A/B rounds per throughput scenario (default 5, quick 3; the intake gate gets 2N+1, at least 11; in quick 2N−1, at least 5)
          --seconds N length of one measured wrk run (default 10; quick 5)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var set = "all";
        int? rounds = null, seconds = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r >= 3:
                    rounds = r; i++; break;
                case "--seconds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s) && s >= 2:
                    seconds = s; i++; break;
                case var name when Sets.Contains(name) || Scenarios.Contains(name):
                    set = name; break;
                case "-h" or "--help":
                    return new BenchOptions("help", 0, 0, TimeSpan.Zero, TimeSpan.Zero, 0) { HelpRequested = true };
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}' (rounds must be ≥ 3, seconds ≥ 2)\n{Usage}");
            }
        }
        var quick = set == "quick";
        // Five rounds: on this shared machine one round's ratio can be off by 10 % (a neighbour's burst), and a median
        // of three is then decided by a single round.
        var n = rounds ?? (quick ? 3 : 5);
        // The gate's cost is smaller than one round's noise (±3 %) and than the ~2 % the second target of a round loses
        // to the first, so its median needs many rounds to say anything about a 2 % line; quick runs only look.
        var gateRounds = quick ? Math.Max(5, 2 * n - 1) : Math.Max(11, 2 * n + 1);
        return new BenchOptions(set, n, gateRounds,
            TimeSpan.FromSeconds(seconds ?? (quick ? 5 : 10)),
            TimeSpan.FromSeconds(quick ? 4 : 6),
            DrainRuns: quick ? 1 : 3);
    }
}
