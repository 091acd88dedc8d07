using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>Two real drains under load, each leaving its JSON shutdown report, for the timeline picture specs.</summary>
public sealed class DrainReportsFixture : IAsyncLifetime
{
    public string First { get; private set; } = "";
    public string Second { get; private set; } = "";
    public string Dir { get; } = Repo.NewWorkDir("timeline");

    public async ValueTask InitializeAsync()
    {
        First = await DrainUnderLoad("first");
        Second = await DrainUnderLoad("second");
    }

    /// <summary>Held writes queue up in one entity while other clients keep writing; then SIGTERM. Returns the report's path.</summary>
    private async Task<string> DrainUnderLoad(string name)
    {
        var report = Path.Combine(Dir, $"{name}.json");
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Path.Combine(Dir, name)) with
        {
            LbDelay = "300ms",
            ReportPath = report,
            Hocon = DrainHarness.LongRequests(askTimeoutSeconds: 15, requestTimeoutSeconds: 20),
        }, name);
        var account = "queue-" + name;
        var held = Enumerable.Range(0, 4).Select(i => node.Http.Deposit(account, 1, key: $"held-{i}", delayMs: 700)).ToList();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 3).Select(c => Task.Run(async () =>
        {
            using var client = NodeProcess.NewClient(node.BaseUri, TimeSpan.FromSeconds(5));
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try { if ((await client.Deposit($"load-{name}-{c}-{i % 20}", 1)).Status != HttpStatusCode.OK) return; }
                catch (HttpRequestException) { return; } // the listener closed
            }
        })).ToList();
        // All four held writes reached their entity: one commits (held 700 ms), three wait in its stash.
        await Eventually.True(async () => (await PrometheusScrape.From(node.Management)).Single("actorservice_entity_mailbox_depth", ("queue", "stash")) >= 3,
            TimeSpan.FromSeconds(15), $"{name}: the held writes to queue in their entity");

        node.Signal(Signals.SIGTERM);
        foreach (var write in held) Assert.Equal(HttpStatusCode.OK, (await write).Status);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await stop.CancelAsync();
        await Task.WhenAll(load);
        return report;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>tools/Timeline, run as a user runs it, on reports written by real drains; the SVG is parsed and checked against them.</summary>
public sealed class TimelineSpecs(DrainReportsFixture reports) : IClassFixture<DrainReportsFixture>
{
    private sealed record Bar(string Phase, double X, double Width, double DurationMs);

    [Fact]
    public async Task Should_draw_one_bar_per_phase_in_report_order_with_widths_following_durations_when_rendering_a_real_drain()
    {
        var report = Read(reports.First);
        var svg = await Render(reports.First);

        var lane = Assert.Single(Lanes(svg));
        Assert.Equal(report.GetProperty("shutdownId").GetString(), lane.Attribute("data-shutdown-id")?.Value);
        var phases = report.GetProperty("phases").EnumerateArray().ToList();
        var bars = Bars(lane);
        Assert.Equal(phases.Select(p => p.GetProperty("name").GetString()), bars.Select(b => b.Phase));
        Assert.Contains("service-requests-done", bars.Select(b => b.Phase));

        // Bars start where their phase started: left to right in report order.
        for (var i = 1; i < bars.Count; i++)
            Assert.True(bars[i].X >= bars[i - 1].X, $"{bars[i].Phase} starts left of {bars[i - 1].Phase}");

        // Widths are proportional to durations (phases too short to see get a minimal sliver).
        var longest = bars.MaxBy(b => b.DurationMs)!;
        foreach (var bar in bars.Where(b => b.DurationMs >= longest.DurationMs * 0.01))
        {
            var expected = longest.Width * bar.DurationMs / longest.DurationMs;
            Assert.True(Math.Abs(bar.Width - expected) <= 0.05 + expected * 0.001,
                $"{bar.Phase}: {bar.DurationMs} ms drawn {bar.Width} px wide, expected {expected:0.00} px (longest: {longest.Phase})");
        }
        foreach (var bar in bars)
            Assert.Equal(phases.Single(p => p.GetProperty("name").GetString() == bar.Phase).GetProperty("durationMs").GetDouble(), bar.DurationMs);

        // The drain samples are drawn, and the held writes show as in-flight requests and a mailbox that fell.
        var series = lane.Descendants(Svg + "polyline").Select(p => p.Attribute("data-series")?.Value).ToList();
        Assert.Equal(["in-flight", "mailbox", "entities"], series);
        var samples = report.GetProperty("samples").EnumerateArray().ToList();
        Assert.True(samples.Max(s => s.GetProperty("mailboxDepth").GetInt64()) >= 1, "the held writes waited in their entity's stash");
        var texts = lane.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains(texts, t => t.Contains("in-flight requests (max "));
        Assert.Contains(texts, t => t.Contains("ms") && t.Contains("in-flight") && t.Contains("→"));
    }

    [Fact]
    public async Task Should_draw_one_lane_per_node_in_drain_order_on_one_time_scale_when_given_several_reports()
    {
        var (first, second) = (Read(reports.First), Read(reports.Second));
        var svg = await Render(reports.Second, reports.First); // given out of order

        var lanes = Lanes(svg);
        Assert.Equal(2, lanes.Count);
        Assert.Equal([first.GetProperty("shutdownId").GetString(), second.GetProperty("shutdownId").GetString()],
            lanes.Select(l => l.Attribute("data-shutdown-id")?.Value));
        Assert.Equal(first.GetProperty("phases").GetArrayLength(), Bars(lanes[0]).Count);
        Assert.Equal(second.GetProperty("phases").GetArrayLength(), Bars(lanes[1]).Count);

        // One scale for both lanes: the same phase's widths compare as its durations do.
        var a = Bars(lanes[0]).Single(b => b.Phase == "before-service-unbind");
        var b = Bars(lanes[1]).Single(b => b.Phase == "before-service-unbind");
        Assert.True(Math.Abs(a.Width / b.Width - a.DurationMs / b.DurationMs) < 0.01,
            $"lb-delay phase drawn {a.Width} px for {a.DurationMs} ms and {b.Width} px for {b.DurationMs} ms");
    }

    [Fact]
    public async Task Should_exit_with_usage_when_no_svg_output_is_named()
    {
        var (code, _, error) = await RunTool(reports.First);
        Assert.Equal(2, code);
        Assert.Contains("usage:", error);
    }

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static JsonElement Read(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private async Task<XDocument> Render(params string[] inputs)
    {
        var output = Path.Combine(reports.Dir, $"timeline-{Guid.NewGuid():N}.svg");
        var (code, stdout, stderr) = await RunTool([.. inputs, output]);
        Assert.True(code == 0, $"timeline tool exited {code}: {stdout}{stderr}");
        var svg = XDocument.Load(output); // throws unless the picture is well-formed XML
        Assert.Equal(Svg + "svg", svg.Root?.Name);
        return svg;
    }

    private static List<XElement> Lanes(XDocument svg) =>
        svg.Descendants(Svg + "g").Where(g => g.Attribute("class")?.Value == "lane").ToList();

    private static List<Bar> Bars(XElement lane) =>
        lane.Descendants(Svg + "rect").Where(r => r.Attribute("class")?.Value == "phase").Select(r => new Bar(
            r.Attribute("data-phase")!.Value, Number(r, "x"), Number(r, "width"), Number(r, "data-duration-ms"))).ToList();

    private static double Number(XElement e, string attribute) => double.Parse(e.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Stdout, string Stderr)> RunTool(params string[] args)
    {
        Assert.True(File.Exists(Repo.TimelineDll), $"build tools/Timeline first: {Repo.TimelineDll} is missing");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Repo.TimelineDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
