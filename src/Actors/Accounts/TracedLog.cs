using ActorService.Actors.Tracing;
using Microsoft.Extensions.Logging;

namespace ActorService.Actors.Accounts;

/// <summary>Log lines an entity writes about one write carry that write's trace id (the HTTP request's traceparent).</summary>
internal static class TracedLog
{
    public static void LogTraced(this ILogger logger, string? traceParent, LogLevel level, string template, params object?[] args)
    {
        if (!logger.IsEnabled(level)) return;
        using var _ = TraceRestore.From(traceParent, "account");
#pragma warning disable CA2254 // the template is a constant at every call site
        logger.Log(level, template, args);
#pragma warning restore CA2254
    }
}
