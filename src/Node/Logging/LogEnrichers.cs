using Serilog.Core;
using Serilog.Events;

namespace ActorService.Node.Logging;

/// <summary>
/// The id of the node's drain in progress, for log lines written outside any logging scope: Akka's own lines come from
/// its logger actor, far from the plan's tasks. A node drains at most once, so from the moment its drain begins every
/// line of its logger belongs to it. One per node (a service of its container, handed to its logger's
/// <see cref="ShutdownIdEnricher"/>), so a node built in the same process as another (in-process specs) never stamps
/// its lines with the other's drain.
/// </summary>
internal sealed class DrainLogContext
{
    private string? _shutdownId;

    public string? ShutdownId => Volatile.Read(ref _shutdownId);

    /// <summary>Only the first call counts, like the drain itself.</summary>
    public void Begin(string shutdownId) => Interlocked.CompareExchange(ref _shutdownId, shutdownId, null);
}

/// <summary>Adds <c>ShutdownId</c> to every event once the node's drain has begun (events that already carry it keep theirs).</summary>
internal sealed class ShutdownIdEnricher(DrainLogContext drain) : ILogEventEnricher
{
    public void Enrich(LogEvent e, ILogEventPropertyFactory factory)
    {
        if (drain.ShutdownId is { } id) e.AddPropertyIfAbsent(factory.CreateProperty("ShutdownId", id));
    }
}

/// <summary>
/// Akka.Logger.Serilog sets <c>SourceContext</c> to the logging class, which for Akka's string sources (cluster,
/// remoting, coordinated shutdown) is the placeholder <c>Akka.Event.DummyClassForStringSources</c>. This puts Akka's
/// own <c>LogSource</c> there instead, without the node's address (every line of the process has the same one), so a
/// line says it came from <c>Cluster</c> or <c>/system/sharding/account</c>.
/// </summary>
internal sealed class AkkaSourceEnricher : ILogEventEnricher
{
    private const string Placeholder = "Akka.Event.DummyClassForStringSources";

    public void Enrich(LogEvent e, ILogEventPropertyFactory factory)
    {
        if (!e.Properties.TryGetValue("SourceContext", out var context) || context is not ScalarValue { Value: Placeholder }) return;
        if (!e.Properties.TryGetValue("LogSource", out var source) || source is not ScalarValue { Value: string text }) return;
        e.AddOrUpdateProperty(factory.CreateProperty("SourceContext", Shorten(text)));
    }

    /// <summary><c>akka.tcp://system@host:port/system/x</c> → <c>/system/x</c>; <c>Cluster(akka://system)</c> → <c>Cluster</c>.</summary>
    internal static string Shorten(string source)
    {
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !source.Contains('('))
        {
            var path = source.IndexOf('/', scheme + 3);
            return path > 0 ? source[path..] : source;
        }
        var paren = source.IndexOf('(');
        return paren > 0 ? source[..paren].TrimEnd() : source;
    }
}
