using Serilog;
using Serilog.Events;

namespace ActorService.Node.Logging;

/// <summary>
/// One line per HTTP request when it is answered (Serilog's request logging), carrying the request's trace id like
/// every other line written for it. At Debug, so a busy node pays nothing by default; a 5xx other than the drain's 503
/// is a Warning. Probes and scrapes stay at Verbose: they would drown everything else.
/// </summary>
internal static class RequestLogging
{
    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(o =>
        {
            // Without a logger here the middleware calls Log.ForContext (a new logger) for every request, even when the
            // line is below the level and never written (bench/ saw it in the allocation profile).
            o.Logger = Log.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Serilog.AspNetCore.RequestLoggingMiddleware");
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
            o.GetLevel = (http, _, error) =>
                error is not null || http.Response.StatusCode is >= 500 and not 503 ? LogEventLevel.Warning
                : http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
                : LogEventLevel.Debug;
        });
}
