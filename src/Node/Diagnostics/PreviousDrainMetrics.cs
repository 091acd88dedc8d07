using System.Diagnostics.Metrics;
using System.Text.Json;
using ActorService.Node.Config;
using ActorService.Node.Shutdown;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// How this node's previous drain ended, read at start from the shutdown report it left at <c>drain.report-path</c>
/// (meter <see cref="NodeMetrics.MeterName"/>). A drain's outcome is only known after its listener closed, so the
/// process that drained can never be scraped with it; the next process on the same report path (a restarted
/// node, a container restarted in its pod) publishes it instead. Absent when no report path is set or no report is
/// there yet. The end timestamp lets an alert fire for a while after the restart rather than until the next drain.
/// </summary>
internal sealed class PreviousDrainMetrics
{
    public PreviousDrainMetrics(IMeterFactory meters, NodeSettings settings, ILogger<PreviousDrainMetrics> logger)
    {
        var report = Read(settings.Drain.ReportPath, logger);
        if (report is null) return;
        var meter = meters.Create(NodeMetrics.MeterName);
        var ended = (report.StartedAt + TimeSpan.FromMilliseconds(report.TotalMs)).ToUnixTimeMilliseconds() / 1000.0;
        meter.CreateObservableGauge("actorservice_previous_drain_exit_code", () => report.ExitCode, null,
            "Exit code of this node's previous drain, from its shutdown report (0 clean, 3 deadline hit, 4 downed)");
        meter.CreateObservableGauge("actorservice_previous_drain_abandoned", () => report.Abandoned.Count, "{items}",
            "Kinds of work the previous drain abandoned (requests cancelled, background work, resources not closed), from its shutdown report");
        meter.CreateObservableGauge("actorservice_previous_drain_duration", () => report.TotalMs / 1000.0, "s",
            "How long the previous drain took, from its shutdown report");
        meter.CreateObservableGauge("actorservice_previous_drain_end_timestamp", () => ended, "s",
            "Unix time the previous drain ended, from its shutdown report");
    }

    private static ShutdownReport? Read(string path, ILogger logger)
    {
        if (path.Length == 0 || !File.Exists(path)) return null;
        try
        {
            return ShutdownReport.FromJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
        {
            logger.LogWarning("The previous shutdown report at {Path} cannot be read, so its outcome is not published: {Error}", path, e.Message);
            return null;
        }
    }
}
