using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace ActorService.Timeline;

/// <summary>
/// Draws Prometheus range queries as small line charts in one SVG, two per row on one time axis, with the events of
/// the run (SIGTERM, a node back) as dashed vertical lines. Input: the JSON the Prometheus scrape spec writes (panels
/// with their query and Prometheus' own <c>matrix</c> result, the events, and a node name per instance). Each
/// polyline carries <c>data-series</c> and <c>data-points</c>, so a test can check the picture against its data.
/// </summary>
public static class PrometheusGraphsSvg
{
    public const double PanelWidth = 560, PanelHeight = 150, Gap = 24, Margin = 40, PlotLeft = 52, PlotTop = 24, PlotBottom = 20;

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"];

    public static XDocument Render(JsonObject graphs)
    {
        var start = graphs["start"]!.GetValue<double>();
        var end = graphs["end"]!.GetValue<double>();
        var instances = graphs["instances"]?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) ?? [];
        var marks = (graphs["marks"]?.AsArray() ?? []).Select(m => (At: m!["at"]!.GetValue<double>(), Label: m["label"]!.GetValue<string>())).ToList();
        var panels = graphs["panels"]!.AsArray().Select(p => p!.AsObject()).ToList();

        var content = new List<XElement> { Text(Margin, 24, graphs["title"]?.GetValue<string>() ?? "Prometheus graphs", 15, weight: "bold") };
        var legendY = 42.0;
        content.Add(Text(Margin, legendY, "dashed lines: " + string.Join(" · ", marks.Select(m => $"+{m.At - start:0} s {m.Label}")), 10.5, fill: "#555"));
        for (var i = 0; i < panels.Count; i++)
        {
            var x = Margin + i % 2 * (PanelWidth + Gap);
            var y = 56 + i / 2 * (PanelHeight + Gap + 30);
            content.Add(Panel(panels[i], x, y, start, end, marks, instances));
        }
        var rows = (panels.Count + 1) / 2;
        var width = 2 * Margin + 2 * PanelWidth + Gap;
        var height = 56 + rows * (PanelHeight + Gap + 30) + 8;
        return new XDocument(new XElement(Svg + "svg",
            new XAttribute("width", F(width)), new XAttribute("height", F(height)),
            new XAttribute("viewBox", $"0 0 {F(width)} {F(height)}"), new XAttribute("font-family", "sans-serif"),
            new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")),
            content));
    }

    private static XElement Panel(JsonObject panel, double x, double y, double start, double end,
        IReadOnlyList<(double At, string Label)> marks, IReadOnlyDictionary<string, string> instances)
    {
        var series = (panel["result"]?.AsArray() ?? []).Select(s => s!.AsObject()).Select(s => (
            Name: Legend(panel["legend"]?.GetValue<string>() ?? "", s["metric"]!.AsObject(), instances),
            Points: s["values"]!.AsArray().Select(v => (T: v![0]!.GetValue<double>(), V: ParseValue(v[1]!.GetValue<string>())))
                .Where(p => double.IsFinite(p.V)).ToList()))
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var max = series.SelectMany(s => s.Points).Select(p => p.V).DefaultIfEmpty(0).Max();
        if (max <= 0) max = 1; // all zero: a flat line at the bottom of a 0-1 scale
        var top = NiceCeiling(max);
        var plotW = PanelWidth - PlotLeft - 8;
        var plotH = PanelHeight - PlotTop - PlotBottom;
        double X(double t) => x + PlotLeft + (t - start) / (end - start) * plotW;
        double Y(double v) => y + PlotTop + plotH - v / top * plotH;

        var g = new XElement(Svg + "g", new XAttribute("data-panel", panel["title"]!.GetValue<string>()));
        var unit = panel["unit"]?.GetValue<string>() is { Length: > 0 } u ? $" ({u})" : "";
        g.Add(Text(x, y + 14, panel["title"]!.GetValue<string>() + unit, 12, weight: "bold"));
        g.Add(Rect(x + PlotLeft, y + PlotTop, plotW, plotH, "#fafafa", "#ddd"));
        foreach (var v in new[] { 0, top / 2, top })
        {
            g.Add(Line(x + PlotLeft, Y(v), x + PlotLeft + plotW, Y(v), "#e4e4e4"));
            g.Add(Text(x + PlotLeft - 4, Y(v) + 3.5, Number(v), 9.5, "end", "#666"));
        }
        for (var t = 0.0; start + t <= end; t += 10)
            g.Add(Text(X(start + t), y + PlotTop + plotH + 12, $"{t:0}s", 9, "middle", "#666"));
        foreach (var (at, _) in marks)
            g.Add(new XElement(Svg + "line", Attr("x1", X(at)), Attr("y1", y + PlotTop), Attr("x2", X(at)), Attr("y2", y + PlotTop + plotH),
                new XAttribute("stroke", "#999"), new XAttribute("stroke-dasharray", "3,3")));

        var legendX = x + PlotLeft;
        var legendY = y + PanelHeight + 8;
        for (var i = 0; i < series.Count; i++)
        {
            var (name, points) = series[i];
            var color = Palette[i % Palette.Length];
            // A gap of more than two steps (the node was down, the phase gauge gone) breaks the line.
            foreach (var run in Runs(points))
                g.Add(new XElement(Svg + "polyline",
                    new XAttribute("points", string.Join(" ", run.Select(p => $"{F(X(p.T))},{F(Y(p.V))}"))),
                    new XAttribute("fill", "none"), new XAttribute("stroke", color), new XAttribute("stroke-width", "1.6"),
                    new XAttribute("data-series", name), new XAttribute("data-points", run.Count)));
            if (legendX + 14 + name.Length * 5.6 > x + PanelWidth) { legendX = x + PlotLeft; legendY += 12; }
            g.Add(Rect(legendX, legendY - 8, 9, 9, color));
            g.Add(Text(legendX + 12, legendY, name, 9.5));
            legendX += 22 + name.Length * 5.6;
        }
        if (series.Count == 0) g.Add(Text(x + PlotLeft + plotW / 2, y + PlotTop + plotH / 2, "no data", 11, "middle", "#999"));
        return g;
    }

    private static IEnumerable<List<(double T, double V)>> Runs(List<(double T, double V)> points)
    {
        var run = new List<(double T, double V)>();
        foreach (var p in points)
        {
            if (run.Count > 0 && p.T - run[^1].T > 2.5) { yield return run; run = []; }
            run.Add(p);
        }
        if (run.Count > 0) yield return run;
    }

    private static string Legend(string template, JsonObject metric, IReadOnlyDictionary<string, string> instances)
    {
        var text = template;
        foreach (var (key, value) in metric)
        {
            var v = value!.GetValue<string>();
            text = text.Replace("{" + key + "}", key == "instance" ? instances.GetValueOrDefault(v, v) : v, StringComparison.Ordinal);
        }
        return text.Trim();
    }

    private static double NiceCeiling(double v)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(v)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(c => c >= v);
    }

    private static double ParseValue(string text) => text switch
    {
        "NaN" => double.NaN, "+Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text, Inv),
    };

    private static string Number(double v) => v >= 100 ? v.ToString("0", Inv) : v >= 1 ? v.ToString("0.#", Inv) : v.ToString("0.###", Inv);
    private static XAttribute Attr(string name, double value) => new(name, F(value));
    private static string F(double v) => Math.Round(v, 2).ToString("0.##", Inv);

    private static XElement Rect(double x, double y, double w, double h, string fill, string? stroke = null)
    {
        var r = new XElement(Svg + "rect", Attr("x", x), Attr("y", y), Attr("width", w), Attr("height", h), new XAttribute("fill", fill));
        if (stroke is not null) r.Add(new XAttribute("stroke", stroke));
        return r;
    }

    private static XElement Line(double x1, double y1, double x2, double y2, string stroke) =>
        new(Svg + "line", Attr("x1", x1), Attr("y1", y1), Attr("x2", x2), Attr("y2", y2), new XAttribute("stroke", stroke));

    private static XElement Text(double x, double y, string text, double size, string anchor = "start", string fill = "#222", string? weight = null)
    {
        var t = new XElement(Svg + "text", Attr("x", x), Attr("y", y), new XAttribute("font-size", F(size)), new XAttribute("fill", fill), text);
        if (anchor != "start") t.Add(new XAttribute("text-anchor", anchor));
        if (weight is not null) t.Add(new XAttribute("font-weight", weight));
        return t;
    }
}
