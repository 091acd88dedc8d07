using ActorService.Node.Config;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ActorService.Node.Http;

/// <summary>
/// <c>actor-service.http.limits</c>: what one client may cost this node. Kestrel enforces the connection and header
/// limits before a request reaches our code (so a slow or oversized client is cut off without touching an actor);
/// <see cref="ConcurrencyLimit"/> enforces the request limits. The body limit is <c>actor-service.http.max-body-bytes</c>,
/// one number shared by Kestrel and the ledger's body reader so the two can never disagree.
/// </summary>
internal sealed record HttpLimits(
    int MaxRequestLineBytes,
    int MaxRequestHeaderBytes,
    int MaxRequestHeaders,
    int MaxRequestBodyBytes,
    TimeSpan RequestHeadersTimeout,
    double MinRequestBodyBytesPerSecond,
    TimeSpan MinDataRateGrace,
    double MinResponseBytesPerSecond,
    TimeSpan KeepAliveTimeout,
    long MaxConcurrentConnections,
    int ConcurrentRequests,
    int RequestQueue,
    TimeSpan OverloadRetryAfter)
{
    /// <exception cref="ConfigurationException">a limit that is zero, negative or not a number.</exception>
    public static HttpLimits From(Akka.Configuration.Config root)
    {
        var http = root.GetConfig("actor-service.http");
        var l = http.GetConfig("limits") ?? throw new ConfigurationException("actor-service.http.limits is missing");
        try
        {
            return new HttpLimits(
                MaxRequestLineBytes: Positive("limits.max-request-line-bytes", l.GetInt("max-request-line-bytes")),
                MaxRequestHeaderBytes: Positive("limits.max-request-header-bytes", l.GetInt("max-request-header-bytes")),
                MaxRequestHeaders: Positive("limits.max-request-headers", l.GetInt("max-request-headers")),
                MaxRequestBodyBytes: Positive("max-body-bytes", http.GetInt("max-body-bytes")),
                RequestHeadersTimeout: Positive("limits.request-headers-timeout", l.GetTimeSpan("request-headers-timeout")),
                MinRequestBodyBytesPerSecond: Positive("limits.min-request-body-bytes-per-second", l.GetDouble("min-request-body-bytes-per-second")),
                MinDataRateGrace: MoreThanOneSecond("limits.min-data-rate-grace", l.GetTimeSpan("min-data-rate-grace")),
                MinResponseBytesPerSecond: Positive("limits.min-response-bytes-per-second", l.GetDouble("min-response-bytes-per-second")),
                KeepAliveTimeout: Positive("limits.keep-alive-timeout", l.GetTimeSpan("keep-alive-timeout")),
                MaxConcurrentConnections: Positive("limits.max-concurrent-connections", l.GetLong("max-concurrent-connections")),
                ConcurrentRequests: Positive("limits.concurrent-requests", l.GetInt("concurrent-requests")),
                RequestQueue: NotNegative("limits.request-queue", l.GetInt("request-queue")),
                OverloadRetryAfter: Positive("limits.overload-retry-after", l.GetTimeSpan("overload-retry-after")));
        }
        catch (Exception e) when (e is FormatException or Akka.Configuration.ConfigurationException or OverflowException)
        {
            throw new ConfigurationException($"actor-service.http.limits: {e.Message}");
        }
    }

    /// <summary>Applies the connection, header, body and data-rate limits to Kestrel.</summary>
    public void ApplyTo(KestrelServerOptions kestrel)
    {
        var k = kestrel.Limits;
        k.MaxRequestLineSize = MaxRequestLineBytes;
        k.MaxRequestHeadersTotalSize = MaxRequestHeaderBytes;
        k.MaxRequestHeaderCount = MaxRequestHeaders;
        k.MaxRequestBodySize = MaxRequestBodyBytes;
        k.RequestHeadersTimeout = RequestHeadersTimeout;
        k.MinRequestBodyDataRate = new MinDataRate(MinRequestBodyBytesPerSecond, MinDataRateGrace);
        k.MinResponseDataRate = new MinDataRate(MinResponseBytesPerSecond, MinDataRateGrace);
        k.KeepAliveTimeout = KeepAliveTimeout;
        // Counted per listener, not per server: Kestrel wraps each endpoint it binds in its own ConnectionLimitMiddleware,
        // which makes its own ResourceCounter.Quota(limit) (dotnet/aspnetcore, src/Servers/Kestrel/Core/src/Internal/
        // KestrelServerImpl.cs: OnBind -> EnforceConnectionLimit(connectionDelegate, Options.Limits.MaxConcurrentConnections, ...)
        // -> new ConnectionLimitMiddleware<ConnectionContext>(..., connectionLimit.Value, ...)). So 10,000 idle connections
        // on the public port fill the public port's quota only; the management listener has a quota of its own
        // (ManagementListenerSpecs proves it with a real process).
        k.MaxConcurrentConnections = MaxConcurrentConnections;
        // No WebSockets or other upgrades are served; an upgraded connection would escape the request limits.
        k.MaxConcurrentUpgradedConnections = 0;
    }

    /// <summary>One line per limit for the startup log, so an operator sees what is in force.</summary>
    public string Describe() =>
        $"request line {MaxRequestLineBytes} B, headers {MaxRequestHeaderBytes} B / {MaxRequestHeaders}, body {MaxRequestBodyBytes} B, " +
        $"headers timeout {RequestHeadersTimeout.TotalSeconds:0.###} s, min body rate {MinRequestBodyBytesPerSecond:0} B/s " +
        $"(grace {MinDataRateGrace.TotalSeconds:0.###} s), keep-alive {KeepAliveTimeout.TotalSeconds:0.###} s, " +
        $"connections {MaxConcurrentConnections}, concurrent requests {ConcurrentRequests} + queue {RequestQueue}";

    private static T Positive<T>(string key, T value) where T : IComparable<T> =>
        value.CompareTo(default) > 0 ? value : throw new ConfigurationException($"actor-service.http.{key} must be greater than zero, not {value}");

    // Kestrel checks data rates on its one-second heartbeat, so a shorter grace could cut off a healthy client.
    private static TimeSpan MoreThanOneSecond(string key, TimeSpan value) =>
        value > TimeSpan.FromSeconds(1) ? value : throw new ConfigurationException($"actor-service.http.{key} must be longer than 1s, not {value}");

    private static T NotNegative<T>(string key, T value) where T : IComparable<T> =>
        value.CompareTo(default) >= 0 ? value : throw new ConfigurationException($"actor-service.http.{key} must not be negative, not {value}");
}
