using System.Diagnostics;
using System.Globalization;

namespace ActorService.TestSupport;

/// <summary>
/// Exactly N requests through the load's client with a fixed number of concurrent senders (closed loop: each sends its
/// next when the last was answered), counted by outcome rather than recorded one by one, so a million of them cost no
/// memory: seeding accounts before a measurement, activating entities for the memory bench. For latency under a
/// steady rate, use <see cref="OpenLoopLoad"/>.
/// </summary>
public static class FixedCountLoad
{
    public sealed record Outcome(long Sent, IReadOnlyDictionary<string, long> ByCause, TimeSpan Took)
    {
        public double PerSecond => Sent / Took.TotalSeconds;
        public long Count(string cause) => ByCause.GetValueOrDefault(cause);
        public long Count(System.Net.HttpStatusCode status) => Count(((int)status).ToString(CultureInfo.InvariantCulture));

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Sent} requests in {Took.TotalSeconds:0.0} s ({PerSecond:0}/s): ") +
            string.Join(", ", ByCause.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}×{kv.Value}"));
    }

    /// <summary>Requests 0..count-1, each built by <paramref name="request"/>; <paramref name="progress"/> is called every 10 %.</summary>
    public static async Task<Outcome> RunAsync(Uri target, ClientModel client, long count, int concurrency, Func<long, LoadRequest> request,
        Action<long>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        using var http = new OrdinaryClient(target, client with { Connections = Math.Max(client.Connections, concurrency) }, () => clock.Elapsed);
        var next = -1L;
        var causes = new Dictionary<string, long>();
        var step = Math.Max(1, count / 10);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var record = await http.SendAsync(i, request(i), clock.Elapsed);
                var cause = record.Final.Status is { } status ? status.ToString(CultureInfo.InvariantCulture) : record.Outcome;
                lock (causes) causes[cause] = causes.GetValueOrDefault(cause) + 1;
                if ((i + 1) % step == 0) progress?.Invoke(i + 1);
            }
        }));
        return new Outcome(count, causes, clock.Elapsed);
    }
}
