using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace ActorService.Node.Hosting;

/// <summary>
/// Marks the warm-up's own requests (<see cref="WarmUp"/>) so they are not counted as client traffic: ASP.NET Core's
/// request metrics (<c>http_server_request_duration_seconds</c>) would otherwise show every start's warm-up reads (404)
/// and refused deposits (400) as if clients had sent them. The header carries a random token of this process, so a
/// client cannot hide its own requests from the metrics by sending it.
/// </summary>
internal sealed class WarmUpTraffic
{
    public const string Header = "ActorService-Warm-Up";
    private readonly byte[] _token = Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    public string Token => Encoding.ASCII.GetString(_token);

    /// <summary>Leaves the warm-up's requests out of the request metrics; every other request passes untouched.</summary>
    public IApplicationBuilder Exclude(IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (http.Request.Headers.TryGetValue(Header, out var value) && value.Count == 1 && value[0] is { } sent
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), _token)
            && http.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
            metrics.MetricsDisabled = true;
        return next(http);
    });
}
