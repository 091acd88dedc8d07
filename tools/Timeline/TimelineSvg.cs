using System.Globalization;
using System.Xml.Linq;
using ActorService.Node.Shutdown;

namespace ActorService.Timeline;

/// <summary>
/// Draws shutdown reports as an SVG timeline. Each report is a lane: one bar per CoordinatedShutdown phase, placed at
/// its start and as wide as its duration, labelled with the duration and with how in-flight requests and entity
/// mailbox depth fell during it; under the bars, the drain samples as three strips (in-flight requests, mailbox
/// depth, active entities). Every lane uses the same time scale, so drains of different nodes compare at a glance.
/// Plain SVG written with <see cref="XDocument"/>: no drawing library, and the bars carry <c>data-*</c> attributes
/// (phase, start, duration) so a test can check the picture against the report it came from.
/// </summary>
public static class TimelineSvg
{
    public const double LabelWidth = 250, ChartWidth = 720, NoteWidth = 330;
    public const double RowHeight = 18, BarHeight = 12, StripHeight = 34;
    /// <summary>A 0 ms phase still gets a visible sliver.</summary>
    public const double MinBarWidth = 1.5;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly (string Group, string Color, string[] Phases)[] Groups =
    [
        ("HTTP drain", "#4e79a7", ["before-service-unbind", "service-unbind", "service-requests-done"]),
        ("background work", "#59a14f", ["service-stop"]),
        ("shard hand-off", "#f28e2b", ["before-cluster-shutdown", "cluster-sharding-shutdown-region"]),
        ("leave the cluster", "#b07aa1", ["cluster-leave", "cluster-exiting", "cluster-exiting-done", "cluster-shutdown"]),
        ("close resources, terminate", "#9c755f", ["before-actor-system-terminate", "actor-system-terminate"]),
    ];

    private const string OtherColor = "#8c8c8c", TimedOutColor = "#e15759";

    public static XDocument Render(IReadOnlyList<ShutdownReport> reports)
    {
        if (reports.Count == 0) throw new ArgumentException("at least one shutdown report is needed", nameof(reports));
        var ordered = reports.OrderBy(r => r.StartedAt).ToList();
        var spanMs = Math.Max(1, ordered.Max(r => Math.Max(r.TotalMs, r.Phases.Select(p => p.StartMs + p.DurationMs).DefaultIfEmpty(0).Max())));
        var scale = ChartWidth / spanMs; // px per ms, shared by every lane

        var content = new List<XElement>
        {
            Text(8, 20, ordered.Count == 1 ? "Shutdown timeline" : $"Shutdown timeline: {ordered.Count} nodes, in drain order", 15, weight: "bold"),
        };
        var legendX = 8.0;
        foreach (var (group, color, _) in Groups)
        {
            content.Add(Rect(legendX, 30, 10, 10, color));
            content.Add(Text(legendX + 14, 39, group, 11));
            legendX += 24 + group.Length * 6.2;
        }
        content.Add(Rect(legendX, 30, 10, 10, "none", stroke: TimedOutColor));
        content.Add(Text(legendX + 14, 39, "timed out", 11));

        var top = 52.0;
        foreach (var report in ordered)
        {
            var (lane, height) = Lane(report, top, scale, spanMs, ordered[0].StartedAt);
            content.Add(lane);
            top += height;
        }

        var width = LabelWidth + ChartWidth + NoteWidth;
        return new XDocument(new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(top + 8)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(top + 8)}"),
            new XAttribute("font-family", "Helvetica, Arial, sans-serif"),
            new XAttribute("data-ms-per-px", F(1 / scale)),
            Rect(0, 0, width, top + 8, "white"),
            content));
    }

    private static (XElement Lane, double Height) Lane(ShutdownReport r, double top, double scale, double spanMs, DateTimeOffset firstStart)
    {
        var lane = new XElement(Svg + "g", new XAttribute("class", "lane"), new XAttribute("data-node", r.Node),
            new XAttribute("data-shutdown-id", r.ShutdownId));
        double X(double ms) => LabelWidth + ms * scale;

        var offset = (r.StartedAt - firstStart).TotalSeconds;
        lane.Add(Text(8, top + 14,
            $"{r.Node}  ·  {r.Reason} at {r.StartedAt.UtcDateTime.ToString("HH:mm:ss.fff", Inv)} UTC" +
            (offset > 0 ? $" (+{offset.ToString("0.0", Inv)} s)" : "") +
            $"  ·  {(r.TotalMs / 1000).ToString("0.00", Inv)} s  ·  exit {r.ExitCode} ({(r.Clean ? "clean" : "NOT clean")})  ·  shutdown {r.ShutdownId}",
            12, weight: "bold"));

        var rowsTop = top + 22;
        var strips = new (string Name, string Label, string Color, Func<DrainSample, double> Value)[]
        {
            ("in-flight", "in-flight requests", "#4e79a7", s => s.InFlightRequests),
            ("mailbox", "entity mailbox depth", "#f28e2b", s => s.MailboxDepth),
            ("entities", "active entities", "#59a14f", s => s.ActiveEntities),
        };
        var stripsTop = rowsTop + r.Phases.Count * RowHeight + 6;
        var axisY = stripsTop + strips.Length * StripHeight;

        // Time grid behind everything.
        foreach (var tick in Ticks(spanMs))
        {
            lane.Add(Line(X(tick), rowsTop - 2, X(tick), axisY, "#e6e6e6"));
            lane.Add(Text(X(tick), axisY + 13, $"{(tick / 1000).ToString("0.##", Inv)} s", 10, anchor: "middle", fill: "#555"));
        }
        lane.Add(Line(LabelWidth, axisY, LabelWidth + ChartWidth, axisY, "#999"));

        for (var i = 0; i < r.Phases.Count; i++)
        {
            var p = r.Phases[i];
            var y = rowsTop + i * RowHeight;
            if (i % 2 == 0) lane.Add(Rect(LabelWidth, y, ChartWidth, RowHeight, "#f7f7f7"));
            lane.Add(Text(LabelWidth - 8, y + 13, p.Name, 11, anchor: "end"));
            var width = Math.Max(p.DurationMs * scale, MinBarWidth);
            var bar = Rect(X(p.StartMs), y + (RowHeight - BarHeight) / 2, width, BarHeight, ColorOf(p.Name),
                stroke: p.TimedOut ? TimedOutColor : null);
            bar.Add(new XAttribute("class", "phase"), new XAttribute("data-phase", p.Name),
                new XAttribute("data-start-ms", F(p.StartMs)), new XAttribute("data-duration-ms", F(p.DurationMs)),
                new XAttribute("data-timed-out", p.TimedOut ? "true" : "false"),
                new XElement(Svg + "title", $"{p.Name}: {F(p.DurationMs)} ms of {F(p.TimeoutMs)} ms" +
                    (p.Counts.Count == 0 ? "" : "\n" + string.Join("\n", p.Counts.Select(kv => $"{kv.Key} = {kv.Value}")))));
            lane.Add(bar);
            lane.Add(Text(X(p.StartMs) + width + 4, y + 13, Note(p, r.Samples), 10,
                fill: p.TimedOut ? TimedOutColor : "#333"));
        }

        for (var s = 0; s < strips.Length; s++)
        {
            var (name, label, color, value) = strips[s];
            var y0 = stripsTop + s * StripHeight;
            var max = r.Samples.Count == 0 ? 0 : r.Samples.Max(value);
            lane.Add(Text(LabelWidth - 8, y0 + StripHeight / 2 + 4, $"{label} (max {F(max)})", 11, anchor: "end", fill: color));
            lane.Add(Line(LabelWidth, y0 + StripHeight - 2, LabelWidth + ChartWidth, y0 + StripHeight - 2, "#ddd"));
            if (r.Samples.Count == 0) continue;
            double Y(double v) => y0 + StripHeight - 2 - (max <= 0 ? 0 : v / max * (StripHeight - 6));
            var points = new List<string>();
            double? previous = null;
            foreach (var sample in r.Samples.OrderBy(x => x.AtMs))
            {
                var v = value(sample);
                if (previous is { } pv) points.Add($"{F(X(sample.AtMs))},{F(Y(pv))}"); // a step: counts change between samples
                points.Add($"{F(X(sample.AtMs))},{F(Y(v))}");
                previous = v;
            }
            lane.Add(new XElement(Svg + "polyline", new XAttribute("class", "series"), new XAttribute("data-series", name),
                new XAttribute("points", string.Join(' ', points)), new XAttribute("fill", "none"),
                new XAttribute("stroke", color), new XAttribute("stroke-width", "1.5")));
        }

        var bottom = axisY + 20;
        foreach (var what in r.Abandoned)
        {
            lane.Add(Text(LabelWidth, bottom + 10, "abandoned: " + what, 11, fill: TimedOutColor));
            bottom += 15;
        }
        lane.Add(Line(0, bottom + 4, LabelWidth + ChartWidth + NoteWidth, bottom + 4, "#bbb"));
        return (lane, bottom + 12 - top);
    }

    /// <summary>
    /// "6451 ms · in-flight 3→0 · mailbox 6→0": the duration, and how the two drain counts moved from the last sample
    /// before the phase began to the last one before it ended. Only for a phase that holds at least one sample: the sampler's 100 ms cannot tell what happened in
    /// a shorter one. A count is shown when it was non-zero.
    /// </summary>
    private static string Note(PhaseReport p, IReadOnlyList<DrainSample> samples)
    {
        var text = $"{Ms(p.DurationMs)}{(p.TimedOut ? " TIMED OUT" : "")}";
        var endMs = p.StartMs + p.DurationMs;
        if (!samples.Any(s => s.AtMs >= p.StartMs && s.AtMs <= endMs)) return text;
        var (start, end) = (Before(samples, p.StartMs), Before(samples, endMs)); // as the phase found them, as it left them
        if (start.InFlightRequests + end.InFlightRequests > 0) text += $"  ·  in-flight {start.InFlightRequests}→{end.InFlightRequests}";
        if (start.MailboxDepth + end.MailboxDepth > 0) text += $"  ·  mailbox {start.MailboxDepth}→{end.MailboxDepth}";
        return text;
    }

    /// <summary>The last sample taken at or before <paramref name="ms"/> (the first one if none was).</summary>
    private static DrainSample Before(IReadOnlyList<DrainSample> samples, double ms) =>
        samples.Where(s => s.AtMs <= ms).MaxBy(s => s.AtMs) ?? samples.MinBy(s => s.AtMs)!;


    private static string Ms(double ms) => ms >= 10_000 ? $"{(ms / 1000).ToString("0.0", Inv)} s" : $"{ms.ToString("0", Inv)} ms";

    private static IEnumerable<double> Ticks(double spanMs)
    {
        double[] steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000];
        var step = steps.FirstOrDefault(s => spanMs / s <= 10, steps[^1]);
        for (var t = 0.0; t <= spanMs + 0.001; t += step) yield return t;
    }

    private static string ColorOf(string phase) =>
        Groups.FirstOrDefault(g => g.Phases.Contains(phase)).Color ?? OtherColor;

    private static XElement Rect(double x, double y, double w, double h, string fill, string? stroke = null)
    {
        var rect = new XElement(Svg + "rect", new XAttribute("x", F(x)), new XAttribute("y", F(y)),
            new XAttribute("width", F(w)), new XAttribute("height", F(h)), new XAttribute("fill", fill));
        if (stroke is not null) rect.Add(new XAttribute("stroke", stroke), new XAttribute("stroke-width", "2"));
        return rect;
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string stroke) =>
        new(Svg + "line", new XAttribute("x1", F(x1)), new XAttribute("y1", F(y1)), new XAttribute("x2", F(x2)),
            new XAttribute("y2", F(y2)), new XAttribute("stroke", stroke), new XAttribute("stroke-width", "1"));

    private static XElement Text(double x, double y, string text, double size, string anchor = "start", string fill = "#222", string? weight = null)
    {
        var element = new XElement(Svg + "text", new XAttribute("x", F(x)), new XAttribute("y", F(y)),
            new XAttribute("font-size", F(size)), new XAttribute("text-anchor", anchor), new XAttribute("fill", fill), text);
        if (weight is not null) element.Add(new XAttribute("font-weight", weight));
        return element;
    }

    private static string F(double v) => Math.Round(v, 2).ToString("0.##", Inv);
}
