using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ActorService.TestSupport;

/// <summary>The ledger API as a test client sees it: status, body and headers, nothing hidden.</summary>
public static class LedgerClient
{
    public sealed record Answer(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)
    {
        public long Balance => Body.GetProperty("balance").GetInt64();
        public bool Applied => Body.GetProperty("applied").GetBoolean();
        public string? ProblemType => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var t) ? t.GetString() : null;
        public string? ContentType => Response.Content.Headers.ContentType?.MediaType;
        public override string ToString() => $"{(int)Status} {Body}";
    }

    public static Task<Answer> Deposit(this HttpClient http, string id, long amount, string? key = null, int? delayMs = null, CancellationToken ct = default) =>
        Write(http, id, "deposit", amount, key, delayMs, ct);

    public static Task<Answer> Withdraw(this HttpClient http, string id, long amount, string? key = null, int? delayMs = null, CancellationToken ct = default) =>
        Write(http, id, "withdraw", amount, key, delayMs, ct);

    public static async Task<Answer> Write(HttpClient http, string id, string operation, long amount, string? key, int? delayMs, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{id}/{operation}")
        {
            Content = new StringContent($"{{\"amount\": {amount}}}", Encoding.UTF8, "application/json"),
        };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        if (delayMs is not null) request.Headers.Add("X-Test-Delay-Ms", delayMs.Value.ToString());
        return await Send(http, request, ct);
    }

    public static async Task<Answer> GetAccount(this HttpClient http, string id, CancellationToken ct = default) =>
        await Send(http, new HttpRequestMessage(HttpMethod.Get, $"accounts/{id}"), ct);

    public static async Task<Answer> Send(HttpClient http, HttpRequestMessage request, CancellationToken ct = default)
    {
        var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Answer(response.StatusCode, body, response);
    }
}
