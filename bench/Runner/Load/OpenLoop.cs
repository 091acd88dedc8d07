using System.Diagnostics;

namespace ActorService.Bench.Load;

/// <summary>
/// An open-loop load generator: request k is due at k / rate seconds whether or not earlier ones were answered,
/// and its latency is counted from that due time, so a stall shows up in full in the percentiles (a closed-loop
/// tool such as wrk would simply send less while the server stalls). Even requests are deposits with their own
/// Idempotency-Key, odd ones are reads, on seeded accounts.
/// </summary>
internal sealed class OpenLoop(string baseUrl, int ratePerSecond, int accounts, string prefix)
{
    /// <summary>One request: when it was due (s after start), how long it took from then, its status (0 = no response).</summary>
    public readonly record struct Sample(double DueAt, double LatencyMs, int Status);

    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1024,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<Sample> _samples = [];
    private readonly List<Task> _inFlight = [];
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly string _nonce = Random.Shared.Next(1, int.MaxValue).ToString();

    /// <summary>Seconds since the generator was created: the clock of <see cref="Sample.DueAt"/>.</summary>
    public double Now => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    public async Task RunAsync(CancellationToken stop)
    {
        var sent = 0L;
        var begin = Now;
        while (!stop.IsCancellationRequested)
        {
            var due = (long)((Now - begin) * ratePerSecond);
            for (; sent < due; sent++)
            {
                var task = SendAsync(sent, begin + (double)sent / ratePerSecond);
                lock (_inFlight) _inFlight.Add(task);
            }
            try { await Task.Delay(2, stop); } catch (OperationCanceledException) { }
        }
        Task[] last;
        lock (_inFlight) last = [.. _inFlight];
        await Task.WhenAll(last);
    }

    public IReadOnlyList<Sample> Samples
    {
        get { lock (_samples) return [.. _samples]; }
    }

    private async Task SendAsync(long k, double dueAt)
    {
        var account = prefix + (1 + (k * 7919) % accounts);
        using var request = k % 2 == 0
            ? ExactDriver.Deposit(baseUrl, account, $"roll-{_nonce}-{k}")
            : ExactDriver.Get(baseUrl, account);
        int status;
        try
        {
            using var response = await _client.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            status = 0;
        }
        var sample = new Sample(dueAt, (Now - dueAt) * 1000, status);
        lock (_samples) _samples.Add(sample);
    }
}
