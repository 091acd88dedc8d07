using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Serilog;
using Serilog.Events;

namespace ActorService.Node.Logging;

/// <summary>
/// One line per HTTP request when it is answered, carrying the request's trace id like every other line written for
/// it (the same template, properties and source as Serilog's request logging). At Debug, so a busy node pays nothing
/// by default; a 5xx other than the drain's 503 is a Warning. Probes and scrapes stay at Verbose: they would drown
/// everything else.
/// <para>
/// Hand-written rather than Serilog's <c>UseSerilogRequestLogging</c>, which opens a diagnostic-context collection
/// (an object and an async-local change) for every request whether or not its line is written: bench/ measured that
/// on the read path, where this node is compared with a bare ASP.NET Core baseline. Here a request whose line is
/// below the level costs a timestamp and a level check.
/// </para>
/// </summary>
internal static class RequestLogging
{
    private const string Template = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";

    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        var logger = Log.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Serilog.AspNetCore.RequestLoggingMiddleware");
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            catch (Exception error)
            {
                Write(logger, http, started, StatusCodes.Status500InternalServerError, error);
                throw;
            }
            Write(logger, http, started, http.Response.StatusCode, null);
        });
    }

    private static void Write(Serilog.ILogger logger, HttpContext http, long started, int status, Exception? error)
    {
        var level = error is not null || status is >= 500 and not 503 ? LogEventLevel.Warning
            : http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
            : LogEventLevel.Debug;
        if (!logger.IsEnabled(level)) return;
        var path = http.Features.Get<IHttpRequestFeature>()?.Path is { Length: > 0 } raw ? raw : http.Request.Path.ToString();
        logger.Write(level, error, Template, http.Request.Method, path, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
