using System.Text.Json.Nodes;
using ActorService.Node.Shutdown;
using ActorService.Timeline;

// Shutdown timeline picture: report.json [report2.json ...] out.svg. One lane per report (per node, in drain order).
// Prometheus graphs: --graphs graphs.json out.svg (the JSON tests/Cluster.Tests' PrometheusScrapeSpecs writes).
if (args is ["--graphs", var graphsPath, var graphsSvg] && graphsSvg.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
{
    JsonObject graphs;
    try
    {
        graphs = JsonNode.Parse(File.ReadAllText(graphsPath))?.AsObject() ?? throw new InvalidDataException("empty file");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException or InvalidOperationException)
    {
        Console.Error.WriteLine($"timeline: cannot read Prometheus graphs '{graphsPath}': {e.Message}");
        return 1;
    }
    var svg = Path.GetFullPath(graphsSvg);
    Directory.CreateDirectory(Path.GetDirectoryName(svg)!);
    PrometheusGraphsSvg.Render(graphs).Save(svg);
    Console.WriteLine($"timeline: {graphs["panels"]?.AsArray().Count ?? 0} Prometheus graphs -> {svg}");
    return 0;
}

if (args.Length < 2 || !args[^1].EndsWith(".svg", StringComparison.OrdinalIgnoreCase) || args.Any(a => a is "-h" or "--help" or "--graphs"))
{
    Console.Error.WriteLine("usage: dotnet run --project tools/Timeline -- report.json [report2.json ...] out.svg");
    Console.Error.WriteLine("       dotnet run --project tools/Timeline -- --graphs graphs.json out.svg");
    return 2;
}

var reports = new List<ShutdownReport>();
foreach (var path in args[..^1])
{
    try
    {
        reports.Add(ShutdownReport.FromJson(File.ReadAllText(path)));
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
    {
        Console.Error.WriteLine($"timeline: cannot read shutdown report '{path}': {e.Message}");
        return 1;
    }
}

var output = Path.GetFullPath(args[^1]);
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
TimelineSvg.Render(reports).Save(output);
Console.WriteLine($"timeline: {reports.Count} report(s), {reports.Sum(r => r.Phases.Count)} phases -> {output}");
return 0;
