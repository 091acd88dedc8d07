using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ActorService.TestSupport;

/// <summary>What the load sends: rate, mix, accounts, and how the client behaves.</summary>
public sealed record LoadOptions(Uri Target)
{
    public int RatePerSecond { get; init; } = 300;
    public int Accounts { get; init; } = 1000;
    /// <summary>Share of requests that are deposits (the rest are balance reads).</summary>
    public double DepositShare { get; init; } = 0.5;
    /// <summary>One attempt longer than this is a hang: the node's request timeout is 10 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(13);
    /// <summary>On 503 + Retry-After, wait and send the same request again (same idempotency key).</summary>
    public bool HonourRetryAfter { get; init; }
    /// <summary>How long a request may keep retrying after a 503 + Retry-After.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(30);
    public int Seed { get; init; } = 17;
}

/// <summary>One HTTP exchange of a request: when, and what came back (a status, or a transport error kind).</summary>
public sealed record Attempt(TimeSpan Start, TimeSpan End, int? Status, string? Error, string? ProblemType, bool? Applied)
{
    public TimeSpan Latency => End - Start;
    public bool Ok => Status is >= 200 and < 300;
}

/// <summary>One logical request and all its attempts (more than one only when the client honours Retry-After).</summary>
public sealed record RequestRecord(long Seq, bool IsDeposit, string Account, long Amount, string? Key, IReadOnlyList<Attempt> Attempts)
{
    public Attempt Final => Attempts[^1];
    public TimeSpan Start => Attempts[0].Start;
    public TimeSpan End => Final.End;
    public bool Ok => Final.Ok;
    /// <summary>Outcome as a short label: "200", "503 cluster-degraded", "transport: connection-reset", ...</summary>
    public string Outcome => Final.Error is { } e ? $"transport: {e}" : Final.ProblemType is { } p ? $"{Final.Status} {p}" : $"{Final.Status}";
}

/// <summary>
/// An open-loop load generator: requests start on a fixed schedule (<see cref="LoadOptions.RatePerSecond"/>) whether or
/// not earlier ones have answered, so a stalled server shows up as latency and errors instead of silently lowering the
/// rate. Keep-alive connections, unique idempotency keys, every outcome recorded.
/// </summary>
public sealed class OpenLoopLoad : IAsyncDisposable
{
    private readonly LoadOptions _options;
    private readonly HttpClient _http;
    private readonly Stopwatch _clock = new();
    private readonly ConcurrentQueue<RequestRecord> _records = new();
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly List<(TimeSpan At, string Label)> _marks = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _scheduler;
    private long _seq;

    public OpenLoopLoad(LoadOptions options)
    {
        _options = options;
        RunId = Guid.NewGuid().ToString("N")[..8];
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 512,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5), // below HAProxy's 10 s keep-alive timeout: the client closes first
            ConnectTimeout = TimeSpan.FromSeconds(3),
            AllowAutoRedirect = false,
        })
        { BaseAddress = options.Target, Timeout = options.AttemptTimeout };
        _clock.Start();
    }

    public string RunId { get; }
    public LoadOptions Options => _options;
    public TimeSpan Now => _clock.Elapsed;
    public IReadOnlyCollection<RequestRecord> Records => _records;
    public IReadOnlyList<(TimeSpan At, string Label)> Marks { get { lock (_marks) return [.. _marks]; } }
    public string AccountId(int index) => $"{RunId}-a{index:0000}";

    /// <summary>Records an event (a signal sent, a node back) on the load's clock, for the report.</summary>
    public TimeSpan Mark(string label)
    {
        var at = Now;
        lock (_marks) _marks.Add((at, label));
        return at;
    }

    /// <summary>One acknowledged deposit per account before the load starts, so reads never meet a 404.</summary>
    public async Task SeedAccountsAsync(int parallelism = 16)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, _options.Accounts), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            var record = await RunAsync(Interlocked.Increment(ref _seq), deposit: true, AccountId(i), amount: 1);
            if (!record.Ok) throw new InvalidOperationException($"seeding {record.Account} failed: {record.Outcome}");
        });
    }

    public void Start() => _scheduler = Task.Run(ScheduleAsync);

    private async Task ScheduleAsync()
    {
        var random = new Random(_options.Seed);
        var interval = TimeSpan.FromSeconds(1.0 / _options.RatePerSecond);
        var begin = Now;
        for (long n = 0; !_stop.IsCancellationRequested; n++)
        {
            var due = begin + interval * n;
            var wait = due - Now;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                try { await Task.Delay(wait, _stop.Token); }
                catch (OperationCanceledException) { break; }
            }
            var seq = Interlocked.Increment(ref _seq);
            var deposit = random.NextDouble() < _options.DepositShare;
            var account = AccountId(random.Next(_options.Accounts));
            var amount = random.Next(1, 101);
            var task = RunAsync(seq, deposit, account, amount);
            _running[seq] = task;
            _ = task.ContinueWith(_ => _running.TryRemove(seq, out Task? _), TaskScheduler.Default);
        }
    }

    /// <summary>Stops starting requests and waits for every started one to finish.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_scheduler is not null) await _scheduler;
        await Task.WhenAll(_running.Values);
    }

    private async Task<RequestRecord> RunAsync(long seq, bool deposit, string account, long amount)
    {
        var key = deposit ? $"{RunId}-k{seq}" : null;
        var attempts = new List<Attempt>();
        var started = Now;
        while (true)
        {
            var (attempt, retryAfter) = await SendOnceAsync(deposit, account, amount, key);
            attempts.Add(attempt);
            if (!_options.HonourRetryAfter || retryAfter is null || Now + retryAfter.Value - started > _options.RetryBudget) break;
            await Task.Delay(retryAfter.Value);
        }
        var record = new RequestRecord(seq, deposit, account, amount, key, attempts);
        _records.Enqueue(record);
        return record;
    }

    private async Task<(Attempt Attempt, TimeSpan? RetryAfter)> SendOnceAsync(bool deposit, string account, long amount, string? key)
    {
        using var request = deposit
            ? new HttpRequestMessage(HttpMethod.Post, $"accounts/{account}/deposit")
            {
                Content = new StringContent($"{{\"amount\": {amount}}}", Encoding.UTF8, "application/json"),
                Headers = { { "Idempotency-Key", key } },
            }
            : new HttpRequestMessage(HttpMethod.Get, $"accounts/{account}");
        var start = Now;
        try
        {
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var (problem, applied) = Parse(body);
            var status = (int)response.StatusCode;
            TimeSpan? retryAfter = status == 503 && response.Headers.RetryAfter?.Delta is { } delta ? delta : null;
            return (new Attempt(start, Now, status, null, problem, applied), retryAfter);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (new Attempt(start, Now, null, Classify(e), null, null), null);
        }
    }

    private static (string? Problem, bool? Applied) Parse(string body)
    {
        if (body.Length == 0 || body[0] != '{') return (null, null); // HAProxy's own error pages are HTML
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            var problem = json.TryGetProperty("type", out var t) ? t.GetString()?.Split('/')[^1] : null;
            bool? applied = json.TryGetProperty("applied", out var a) ? a.GetBoolean() : null;
            return (problem, applied);
        }
        catch (JsonException) { return (null, null); }
    }

    /// <summary>Transport failures by kind: what a client would see on its socket.</summary>
    public static string Classify(Exception e)
    {
        if (e is TaskCanceledException) return "timeout (no answer within the attempt timeout)";
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
                return s.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection-refused",
                    SocketError.ConnectionReset => "connection-reset",
                    SocketError.TimedOut => "connect-timeout",
                    _ => $"socket-{s.SocketErrorCode}",
                };
            if (inner is HttpIOException io) return $"http-io-{io.HttpRequestError}";
        }
        return e is HttpRequestException h ? $"http-{h.HttpRequestError}" : e.GetType().Name;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Figures of one load run: counts by outcome, latency percentiles, and the requests that failed.</summary>
public sealed class LoadReport(IReadOnlyCollection<RequestRecord> records)
{
    public IReadOnlyCollection<RequestRecord> Records { get; } = records;
    public int Sent => Records.Count;
    public int Succeeded => Records.Count(r => r.Ok);
    public IReadOnlyList<RequestRecord> Failed => Records.Where(r => !r.Ok).OrderBy(r => r.Start).ToList();
    /// <summary>Every attempt, including the ones a client retried after a 503 + Retry-After.</summary>
    public IEnumerable<Attempt> Attempts => Records.SelectMany(r => r.Attempts);
    public int RetriedAfter503 => Records.Count(r => r.Attempts.Count > 1);

    public IReadOnlyDictionary<string, int> FailuresByKind =>
        Failed.GroupBy(r => r.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    public IReadOnlyDictionary<string, int> AttemptFailuresByKind =>
        Attempts.Where(a => !a.Ok).GroupBy(a => a.Error is { } e ? $"transport: {e}" : $"{a.Status} {a.ProblemType}".TrimEnd())
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    public static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        if (sorted.Count == 0) return TimeSpan.Zero;
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Latency of requests that started within [from, to) on the load's clock (first attempt to final answer).</summary>
    public (int Count, TimeSpan P50, TimeSpan P99, TimeSpan Max) Latency(TimeSpan from, TimeSpan to)
    {
        var window = Records.Where(r => r.Start >= from && r.Start < to).Select(r => r.End - r.Start).ToList();
        return (window.Count, Percentile(window, 50), Percentile(window, 99), window.Count == 0 ? TimeSpan.Zero : window.Max());
    }

    public string Summary()
    {
        var all = Latency(TimeSpan.Zero, TimeSpan.MaxValue);
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"sent {Sent} (deposits {Records.Count(r => r.IsDeposit)}, reads {Records.Count(r => !r.IsDeposit)}), ");
        s.Append(CultureInfo.InvariantCulture, $"succeeded {Succeeded}, failed {Sent - Succeeded}; ");
        s.Append(CultureInfo.InvariantCulture, $"latency p50 {Ms(all.P50)}, p99 {Ms(all.P99)}, max {Ms(all.Max)}");
        if (RetriedAfter503 > 0) s.Append(CultureInfo.InvariantCulture, $"; {RetriedAfter503} requests retried after 503 + Retry-After");
        foreach (var (kind, n) in AttemptFailuresByKind) s.Append(CultureInfo.InvariantCulture, $"\n  attempt outcome {kind}: {n}");
        foreach (var (kind, n) in FailuresByKind) s.Append(CultureInfo.InvariantCulture, $"\n  final outcome {kind}: {n}");
        return s.ToString();
    }

    public static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");

    public static string Describe(RequestRecord r)
    {
        var what = r.IsDeposit ? $"deposit {r.Amount} key {r.Key}" : "read";
        var attempts = string.Join(" → ", r.Attempts.Select(a => $"{(a.Error ?? $"{a.Status} {a.ProblemType}").Trim()} after {Ms(a.Latency)}"));
        return string.Create(CultureInfo.InvariantCulture, $"#{r.Seq} {what} {r.Account} at {r.Start.TotalSeconds:0.000}s: {attempts}");
    }
}
