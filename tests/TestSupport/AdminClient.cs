using System.Net.Http.Headers;

namespace ActorService.TestSupport;

/// <summary>/admin/* as an operator calls it: with or without the bearer token.</summary>
public static class AdminClient
{
    public static Task<LedgerClient.Answer> Status(this HttpClient http, string? token, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "admin/status");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return LedgerClient.Send(http, request, ct);
    }
}
