using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ActorService.Node.Logging;

/// <summary>
/// Serilog for everything: ASP.NET Core, our code and Akka's own log lines (through Akka.Logger.Serilog, which uses
/// the static logger set here). Readable text by default, compact JSON for production. The trace id comes from the
/// current <see cref="System.Diagnostics.Activity"/>: ASP.NET Core's request activity, or the one an entity restores
/// from the command's traceparent. Once a drain begins every line carries its ShutdownId (<see cref="DrainLogContext"/>).
/// </summary>
internal static class SerilogSetup
{
    /// <summary>The text format of a line (also what in-process test hosts render their captured lines with).</summary>
    internal const string TextTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Message:lj} <{SourceContext}>{TraceSuffix}{ShutdownSuffix}{NewLine}{Exception}";

    /// <param name="drain">the node's drain id, put on every line once its drain has begun</param>
    /// <param name="extra">more configuration, e.g. a sink a test reads (<see cref="Hosting.NodeHostOptions.Logging"/>)</param>
    /// <param name="console">false: no console sink (an in-process test host, whose <paramref name="extra"/> keeps the lines)</param>
    public static Logger Create(LoggingLevelSwitch level, string format, DrainLogContext drain, Action<LoggerConfiguration>? extra = null, bool console = true)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.ControlledBy(level)
            // Framework chatter stays quiet unless it matters; our own categories follow the switch.
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            // A 503 readiness is the drain working as designed; the health check service would log each probe as an error.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.With(new ShutdownIdEnricher(drain))   // before the suffix enricher, which renders it
            .Enrich.With<AkkaSourceEnricher>()
            .Enrich.With<TraceSuffixEnricher>();
        if (console)
            config = format.Equals("json", StringComparison.OrdinalIgnoreCase)
                ? config.WriteTo.Async(a => a.Console(new CompactJsonFormatter()))
                : config.WriteTo.Async(a => a.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture));
        extra?.Invoke(config);
        return config.CreateLogger();
    }

    public static LogEventLevel ParseLevel(string text) =>
        Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level)
            ? level
            : throw new Config.ConfigurationException($"actor-service.logging.level '{text}' is not one of Verbose, Debug, Information, Warning, Error");

    /// <summary>Adds " trace=…" and " shutdown=…" to text lines only when there is something to show.</summary>
    private sealed class TraceSuffixEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent e, ILogEventPropertyFactory factory)
        {
            var trace = e.TraceId?.ToHexString();
            e.AddPropertyIfAbsent(factory.CreateProperty("TraceSuffix", trace is null ? "" : " trace=" + trace));
            e.AddPropertyIfAbsent(factory.CreateProperty("ShutdownSuffix",
                e.Properties.TryGetValue("ShutdownId", out var id) ? " shutdown=" + ((ScalarValue)id).Value : ""));
        }
    }
}
