using System.Net;
using System.Net.Http.Headers;

namespace ActorService.TestSupport;

/// <summary>/admin/* as an operator calls it, on a node's management listener: with or without the bearer token.</summary>
public static class AdminClient
{
    public static Task<LedgerClient.Answer> Status(this HttpClient http, string? token, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "admin/status");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return LedgerClient.Send(http, request, ct);
    }

    /// <summary>The addresses of the members this node's /admin/status lists as Up.</summary>
    public static async Task<List<string>> UpMembers(this NodeProcess node, string token)
    {
        var status = await node.Management.Status(token);
        if (status.Status != HttpStatusCode.OK) throw new InvalidOperationException($"{node.Name} admin/status: {status}");
        return status.Body.GetProperty("members").EnumerateArray()
            .Where(m => m.GetProperty("status").GetString() == "Up")
            .Select(m => m.GetProperty("address").GetString()!).ToList();
    }
}
