using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActorService.Bench.Infra;
using ActorService.Bench.Load;
using ActorService.Bench.Report;

namespace ActorService.Bench.Scenarios;

/// <summary>
/// Memory per active entity: one node, accounts activated by a GET each (an entity is activated and loads its state
/// even for an account never written, which answers 404), RSS read from /proc after each step. Bytes per entity =
/// (RSS now − RSS after a 1,000-account warm-up) ÷ entities added. Passivation is measured on a second node with
/// <c>accounts.passivate-after</c> lowered so the wait stays short.
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
        var spec = new NodeSpec("memory", bench.FreePort(), bench.FreePort(), Path.Combine(dir, "data")) { Hocon = ["actor-service.accounts.passivate-after = 60m"] };
        await using var node = HttpService.StartNode(bench, spec, dir);
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
        var spec = new NodeSpec("passivation", bench.FreePort(), bench.FreePort(), Path.Combine(dir, "data"))
        {
            Hocon = [$"actor-service.accounts.passivate-after = {PassivateAfter.TotalSeconds}s"],
        };
        await using var node = HttpService.StartNode(bench, spec, dir);
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
        // The GC returns freed memory to the OS on its own schedule after collections; give it a moment and sample.
        var samples = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            samples.Add(node.Process.RssBytes());
        }
        var after = samples.Min();
        var reclaimed = (double)(peak - after) / Math.Max(1, peak - rss0);
        book.Detail(title, $"all passivated {passivatedIn.TotalSeconds:0} s after the peak; RSS over the next 10 s: {string.Join(", ", samples.Select(GiB))}");
        book.Add(new ResultRow(title, $"passivation of {peakActive:#,0} entities returns memory",
            $"{reclaimed * 100:0} % of the growth returned (RSS {GiB(rss0)} → {GiB(peak)} → {GiB(after)})", "memory returns",
            reclaimed >= 0.5 ? Verdict.Met : Verdict.Missed));
    }

    private async Task<ExactDriver.Outcome> ActivateAsync(HttpService node, long from, long to)
    {
        var count = to - from + 1;
        var outcome = await ExactDriver.RunAsync(count, Concurrency, i => ExactDriver.Get(node.Url, $"mem-{from + i}"),
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

    private static string GiB(long bytes) => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";
}
