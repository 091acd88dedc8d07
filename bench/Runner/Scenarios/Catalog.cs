using ActorService.Bench.Infra;
using ActorService.Bench.Report;

namespace ActorService.Bench.Scenarios;

/// <summary>Which scenarios each set of <c>bench/run.sh</c> runs, in order.</summary>
internal static class Catalog
{
    public static IReadOnlyList<(string Name, Func<Task> Run)> For(string set, BenchContext bench, ResultBook book)
    {
        var throughput = new ThroughputScenarios(bench, book);
        var postgres = new PostgresScenario(bench, throughput);
        var drain = new DrainScenarios(bench, book);
        var memory = new MemoryScenario(bench, book);
        var faults = new FaultScenarios(bench, book);
        (string, Func<Task>)[] quick =
        [
            ("get", throughput.GetAsync),
            ("deposit-sqlite", throughput.DepositSqliteAsync),
            ("intake-gate", throughput.IntakeGateAsync),
            ("drain-single-node", drain.SingleNodeAsync),
        ];
        (string, Func<Task>)[] allThroughput =
        [
            ("get", throughput.GetAsync),
            ("deposit-sqlite", throughput.DepositSqliteAsync),
            ("deposit-postgres", postgres.RunAsync),
            ("mixed", throughput.MixedAsync),
            ("intake-gate", throughput.IntakeGateAsync),
        ];
        (string, Func<Task>)[] allDrain =
        [
            ("drain-single-node", drain.SingleNodeAsync),
            ("rolling-restart", drain.RollingRestartAsync),
        ];
        (string, Func<Task>)[] allFaults =
        [
            ("rolling-restart-cpu-quota", drain.RollingRestartUnderQuotaAsync),
            ("kill-9", faults.KillNineAsync),
            ("freeze", faults.FreezeAsync),
        ];
        (string, Func<Task>)[] allMemory =
        [
            ("active-entities", memory.ActiveEntitiesAsync),
            ("passivation", memory.PassivationAsync),
        ];
        return set switch
        {
            "quick" => quick,
            "throughput" => allThroughput,
            "drain" => allDrain,
            "memory" => allMemory,
            "faults" => allFaults,
            "all" => [.. allThroughput, .. allDrain, .. allFaults, .. allMemory],
            var one => [.. allThroughput.Concat(allDrain).Concat(allFaults).Concat(allMemory).Where(s => s.Item1 == one)],
        };
    }
}
