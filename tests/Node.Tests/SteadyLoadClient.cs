using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ActorService.TestSupport;

namespace ActorService.Node.Tests;

/// <summary>
/// A well-behaved client under steady load: a fixed rate of mixed deposits (each with its own idempotency key) and
/// reads over keep-alive connections. It honours Retry-After (pauses all sending), repeats a refused or unanswered
/// request with the same key, and records how every attempt ended.
/// </summary>
internal sealed class SteadyLoadClient(Uri baseUri, int accounts, string accountPrefix) : IDisposable
{
    private readonly HttpClient _http = NodeProcess.NewClient(baseUri, TimeSpan.FromSeconds(30));
    private readonly ConcurrentDictionary<string, long> _acknowledged = new();
    private readonly ConcurrentBag<Task> _requests = [];
    private long _pausedUntilTicks;
    private int _sequence;

    public ConcurrentDictionary<string, int> Outcomes { get; } = new();
    public IReadOnlyDictionary<string, long> AcknowledgedPerAccount => _acknowledged;
    public int Sent => _sequence;
    public long Acknowledged => Outcomes.GetValueOrDefault("200");

    public async Task RunAsync(int perSecond, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / perSecond));
        while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
        {
            if (Environment.TickCount64 < Interlocked.Read(ref _pausedUntilTicks)) continue;
            var n = Interlocked.Increment(ref _sequence);
            _requests.Add(n % 2 == 0 ? DepositAsync(n) : ReadAsync(n));
        }
    }

    /// <summary>Waits until every request launched has ended (they retry until they succeed or give up).</summary>
    public Task Completion => Task.WhenAll(_requests);

    private async Task DepositAsync(int n)
    {
        var account = $"{accountPrefix}{n / 2 % accounts}";
        var amount = 1 + n % 7;
        if (await Attempt(() => _http.Deposit(account, amount, key: $"load-{n}")) is { Status: HttpStatusCode.OK } answer && answer.Applied)
            _acknowledged.AddOrUpdate(account, amount, (_, sum) => sum + amount);
    }

    private Task ReadAsync(int n) => Attempt(() => _http.GetAccount($"{accountPrefix}{n / 2 % accounts}"));

    private async Task<LedgerClient.Answer?> Attempt(Func<Task<LedgerClient.Answer>> send)
    {
        var giveUp = Environment.TickCount64 + 60_000;
        while (Environment.TickCount64 < giveUp)
        {
            try
            {
                var answer = await send();
                Count(((int)answer.Status).ToString());
                if (answer.Status is HttpStatusCode.OK or HttpStatusCode.NotFound) return answer;
                if (answer.Status == HttpStatusCode.ServiceUnavailable && answer.Response.Headers.RetryAfter?.Delta is { } wait)
                {
                    Pause(wait);
                    await Task.Delay(wait);
                    continue;
                }
                return answer; // any other status is an error the spec reports
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                Count("refused (nothing sent)");
                await Task.Delay(200);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Count("transport error: " + (e.InnerException?.GetType().Name ?? e.GetType().Name));
                await Task.Delay(200);
            }
        }
        Count("gave up");
        return null;
    }

    private void Pause(TimeSpan wait) => Interlocked.Exchange(ref _pausedUntilTicks, Environment.TickCount64 + (long)wait.TotalMilliseconds);

    private void Count(string outcome) => Outcomes.AddOrUpdate(outcome, 1, (_, c) => c + 1);

    public string Describe() => string.Join(", ", Outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"));

    public void Dispose() => _http.Dispose();
}
