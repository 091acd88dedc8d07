using ActorService.Node.Config;
using ActorService.Node.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>actor-service.http.limits: read from hocon.conf, applied to Kestrel as written, and refused when nonsensical.</summary>
public sealed class HttpLimitsSpecs
{
    private static HttpLimits Load(params string[] hocon) =>
        HttpLimits.From(HoconLoader.Load(NodeOptions.Parse(hocon.Length == 0 ? [] : ["--hocon", string.Join('\n', hocon)], _ => null)));

    [Fact]
    public void Should_apply_the_configured_limits_to_kestrel_with_the_body_limit_shared_with_the_reader()
    {
        var limits = Load("actor-service.http.max-body-bytes = 1234", "actor-service.http.limits.max-request-headers = 7");
        var kestrel = new KestrelServerOptions();
        limits.ApplyTo(kestrel);

        Assert.Equal(1234, kestrel.Limits.MaxRequestBodySize);
        Assert.Equal(7, kestrel.Limits.MaxRequestHeaderCount);
        Assert.Equal(4096, kestrel.Limits.MaxRequestLineSize);
        Assert.Equal(16384, kestrel.Limits.MaxRequestHeadersTotalSize);
        Assert.Equal(TimeSpan.FromSeconds(10), kestrel.Limits.RequestHeadersTimeout);
        Assert.Equal(240, kestrel.Limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), kestrel.Limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(65), kestrel.Limits.KeepAliveTimeout);
        Assert.Equal(10_000, kestrel.Limits.MaxConcurrentConnections);
        Assert.Equal(0, kestrel.Limits.MaxConcurrentUpgradedConnections);
        Assert.Equal((512, 1024), (limits.ConcurrentRequests, limits.RequestQueue));
    }

    [Theory]
    [InlineData("actor-service.http.limits.concurrent-requests = 0", "concurrent-requests")]
    [InlineData("actor-service.http.limits.request-queue = -1", "request-queue")]
    [InlineData("actor-service.http.limits.request-headers-timeout = 0s", "request-headers-timeout")]
    [InlineData("actor-service.http.limits.min-data-rate-grace = 1s", "min-data-rate-grace")]
    [InlineData("actor-service.http.max-body-bytes = 0", "max-body-bytes")]
    [InlineData("actor-service.http.limits.max-concurrent-connections = lots", "limits")]
    public void Should_refuse_to_start_with_a_clear_error_when_a_limit_is_nonsensical(string hocon, string named)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(hocon));
        Assert.Contains(named, e.Message);
    }
}
