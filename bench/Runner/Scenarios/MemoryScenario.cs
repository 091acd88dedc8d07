using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActorService.Bench.Infra;
using ActorService.Bench.Load;
using ActorService.Bench.Report;
using ActorService.TestSupport;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// Memory per active entity: one node, accounts activated by a GET each (an entity is activated and loads its state
/// even for an account never written, which answers 404), RSS read from /proc after each step. Bytes per entity =
/// (RSS now − RSS after a 1,000-account warm-up) ÷ entities added. Passivation is measured on a second node with
/// <c>accounts.passivate-after</c> lowered so the wait stays short; what it returns is measured as reuse (RSS of a second
/// round of activations), because an idle process runs no collection and keeps its freed pages committed.
/// </summary>
internal sealed class MemoryScenario(BenchContext bench, ResultBook book)
{
    private const int WarmUp = 1_000;
    private const int Concurrency = 64;
    private const long RssTarget = 3L << 30;
    private static readonly TimeSpan PassivateAfter = TimeSpan.FromSeconds(45);

    public async Task ActiveEntitiesAsync()
    {
        const string title = "Memory, one node";
        var dir = bench.NewDir("memory");
        // Nothing may passivate while a million accounts are being activated.
        await using var node = HttpService.StartNode("memory", BenchNodes.Launch(Path.Combine(dir, "data"), ["actor-service.accounts.passivate-after = 60m"]));
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await ActivateAsync(node, 1, WarmUp);
        await Settle();
        var rss0 = node.Process.RssBytes();
        book.Detail(title, $"after start and {WarmUp:#,0} activations: RSS {GiB(rss0)}");

        var activated = (long)WarmUp;
        foreach (var target in new[] { 100_000L, 1_000_000L })
        {
            var outcome = await ActivateAsync(node, activated + 1, target);
            activated = target;
            await Settle();
            var rss = node.Process.RssBytes();
            var active = await node.ActiveEntitiesAsync();
            if (active < target) throw new BenchFailure($"{title}: {active} active entities after activating {target}");
            var perEntity = (double)(rss - rss0) / (target - WarmUp);
            book.Detail(title, $"{target:#,0} active: RSS {GiB(rss)}, {perEntity:#,0} bytes per entity; activation {outcome}");
            book.Add(new ResultRow(title, $"RSS with {target:#,0} active entities",
                $"{GiB(rss)} ({perEntity:#,0} bytes per entity over the warm node's {GiB(rss0)}; activated at {outcome.PerSecond:#,0}/s)",
                target == 1_000_000 ? "≤ 3 GiB" : "", target == 1_000_000 ? ResultBook.AtMost(rss, RssTarget) : Verdict.Info));
        }
    }

    public async Task PassivationAsync()
    {
        const string title = "Memory, one node";
        const long accounts = 100_000;
        var dir = bench.NewDir("passivation");
        await using var node = HttpService.StartNode("passivation",
            BenchNodes.Launch(Path.Combine(dir, "data"), [$"actor-service.accounts.passivate-after = {PassivateAfter.TotalSeconds}s"]));
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await ActivateAsync(node, 1, WarmUp);
        await WaitActive(node, 0, PassivateAfter * 3);
        await Settle();
        var rss0 = node.Process.RssBytes();

        var watch = Stopwatch.StartNew();
        await ActivateAsync(node, WarmUp + 1, WarmUp + accounts);
        await Settle();
        var peakActive = await node.ActiveEntitiesAsync();
        var peak = node.Process.RssBytes();
        if (watch.Elapsed > PassivateAfter)
            book.Detail(title, $"activation took {watch.Elapsed.TotalSeconds:0} s, longer than passivate-after: some entities passivated before the peak");
        book.Detail(title, $"passivation node: RSS {GiB(rss0)} before, {GiB(peak)} with {peakActive:#,0} active (passivate-after {PassivateAfter.TotalSeconds:0} s)");

        var waited = Stopwatch.StartNew();
        await WaitActive(node, 0, PassivateAfter * 4);
        var passivatedIn = waited.Elapsed;
        await Settle();
        var afterPassivation = node.Process.RssBytes();
        book.Detail(title, $"all passivated {passivatedIn.TotalSeconds:0} s after the peak; RSS then {GiB(afterPassivation)}");

        // An idle process runs no collection, so the GC keeps the freed pages committed and RSS stays where it was. What
        // passivation returns is heap the node reuses: activating as many other accounts must not grow RSS again.
        await ActivateAsync(node, WarmUp + accounts + 1, WarmUp + 2 * accounts);
        await Settle();
        var secondActive = await node.ActiveEntitiesAsync();
        var second = node.Process.RssBytes();
        var firstGrowth = peak - rss0;
        var secondGrowth = second - afterPassivation;
        // Without passivation the second round would have added what the first did; the share it did not add was reused.
        var reused = 1 - (double)secondGrowth / Math.Max(1, firstGrowth);
        book.Detail(title, $"{secondActive:#,0} other accounts activated after the passivation: RSS {GiB(second)} (+{MiB(secondGrowth)}; the first {accounts:#,0} took +{MiB(firstGrowth)})");
        book.Add(new ResultRow(title, $"passivation of {peakActive:#,0} entities returns their memory: share reused by the next {accounts:#,0} activations",
            $"{reused * 100:0} % (the first {accounts:#,0} grew RSS by {MiB(firstGrowth)}, the next by {MiB(secondGrowth)}; RSS {GiB(rss0)} → {GiB(peak)} → {GiB(afterPassivation)} passivated → {GiB(second)})",
            "≥ 50 %", ResultBook.AtLeast(reused, 0.5)));
    }

    private async Task<FixedCountLoad.Outcome> ActivateAsync(HttpService node, long from, long to)
    {
        var count = to - from + 1;
        var outcome = await Seeding.RunAsync(node.Uri, count, Concurrency, i => new LoadRequest(Operation.Read, $"mem-{from + i}"),
            done => bench.Log($"  activated {from + done - 1:#,0} of {to:#,0}"));
        if (outcome.Count(HttpStatusCode.NotFound) != count)
            throw new BenchFailure($"activating mem-{from}..mem-{to} on {node.Name}: expected 404 (never written) for each: {outcome}; log {node.Process.LogPath}");
        return outcome;
    }

    private static async Task WaitActive(HttpService node, long expected, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        long active;
        while ((active = await node.ActiveEntitiesAsync()) != expected)
        {
            if (watch.Elapsed > within) throw new BenchFailure($"{node.Name}: {active} active entities, expected {expected} within {within.TotalSeconds:0} s");
            await Task.Delay(500);
        }
    }

    private static Task Settle() => Task.Delay(TimeSpan.FromSeconds(3));

    private static string MiB(long bytes) => (bytes / (double)(1L << 20)).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    private static string GiB(long bytes) => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";
}
