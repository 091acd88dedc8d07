using System.Diagnostics;
using System.Net;

namespace ActorService.Bench.Load;

/// <summary>
/// Sends exactly N requests with a fixed number of concurrent workers (wrk can only run for a duration): seeding
/// accounts before a read benchmark, activating 1,000,000 entities for the memory scenario.
/// </summary>
internal static class ExactDriver
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public sealed record Outcome(long Sent, IReadOnlyDictionary<int, long> ByStatus, long Failures, TimeSpan Took)
    {
        public double PerSecond => Sent / Took.TotalSeconds;
        public long Count(HttpStatusCode status) => ByStatus.GetValueOrDefault((int)status);
        public override string ToString() =>
            $"{Sent} requests in {Took.TotalSeconds:0.0} s ({PerSecond:0}/s): " +
            string.Join(", ", ByStatus.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")) + (Failures > 0 ? $", {Failures} transport failures" : "");
    }

    /// <summary>Requests 0..count-1, each built by <paramref name="request"/>; <paramref name="progress"/> is called every 10 %.</summary>
    public static async Task<Outcome> RunAsync(long count, int concurrency, Func<long, HttpRequestMessage> request, Action<long>? progress = null)
    {
        var next = -1L;
        var statuses = new long[600];
        var failures = 0L;
        var step = Math.Max(1, count / 10);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    using var message = request(i);
                    using var response = await Client.SendAsync(message);
                    await response.Content.LoadIntoBufferAsync();
                    Interlocked.Increment(ref statuses[(int)response.StatusCode]);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
                if ((i + 1) % step == 0) progress?.Invoke(i + 1);
            }
        }));
        var byStatus = statuses.Select((n, s) => (s, n)).Where(x => x.n > 0).ToDictionary(x => x.s, x => x.n);
        return new Outcome(count, byStatus, failures, watch.Elapsed);
    }

    public static HttpRequestMessage Deposit(string baseUrl, string account, string key, long amount = 1)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/accounts/{account}/deposit")
        {
            Content = new StringContent($"{{\"amount\": {amount}}}", System.Text.Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("Idempotency-Key", key);
        return message;
    }

    public static HttpRequestMessage Get(string baseUrl, string account) => new(HttpMethod.Get, $"{baseUrl}/accounts/{account}");
}
