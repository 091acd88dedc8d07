using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace ActorService.TestSupport;

/// <summary>
/// The HTTP client of the load, behaving as its <see cref="ClientModel"/> says: a pool of keep-alive connections, a
/// timeout per attempt that includes the wait for a connection, an in-flight limit, and (when the model honours it)
/// Retry-After with the same Idempotency-Key. Every attempt is recorded with what the answer said (status, problem
/// type, applied, balance, version, the answering node).
/// </summary>
public sealed class OrdinaryClient : IDisposable
{
    public const string ServedByHeader = "X-Served-By";
    /// <summary>An attempt that gets a connection with less than this share of its timeout left is not sent (5 %: 100 ms of 2 s).</summary>
    public const double MinimumShareLeftToSend = 0.05;

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _connections;
    private readonly Func<TimeSpan> _clock;
    private int _inFlight;

    public OrdinaryClient(Uri target, ClientModel model, Func<TimeSpan> clock)
    {
        Model = model;
        _clock = clock;
        _connections = new SemaphoreSlim(model.Connections, model.Connections);
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = model.Connections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5), // below HAProxy's 10 s keep-alive timeout: the client closes first
            ConnectTimeout = model.RequestTimeout,
            AllowAutoRedirect = false,
        })
        { BaseAddress = target, Timeout = Timeout.InfiniteTimeSpan }; // each attempt has its own deadline
    }

    public ClientModel Model { get; }
    /// <summary>Attempts waiting for a connection or on one.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Sends <paramref name="request"/>, due at <paramref name="due"/> on the clock, with retries as the model says.</summary>
    public async Task<RequestRecord> SendAsync(long seq, LoadRequest request, TimeSpan due)
    {
        var attempts = new List<Attempt>();
        // Latency counts from the due time; a scheduler that woke a little early sends at once, and the history
        // checker needs a start no later than the request really left.
        var start = due < _clock() ? due : _clock();
        while (true)
        {
            var attempt = await AttemptAsync(request, start, due);
            attempts.Add(attempt);
            if (!ShouldRetry(attempt, attempts.Count - 1, due, out var wait)) break;
            await Task.Delay(wait);
            start = _clock();
        }
        return new RequestRecord(seq, request, attempts);
    }

    private bool ShouldRetry(Attempt attempt, int retriesSoFar, TimeSpan due, out TimeSpan wait)
    {
        wait = attempt.RetryAfter ?? TimeSpan.Zero;
        if (!Model.HonourRetryAfter || attempt.RetryAfter is null || retriesSoFar >= Model.MaxRetries) return false;
        if (Model.RetryOnly503 && attempt.Status != 503) return false;
        return _clock() + wait - due <= Model.RetryBudget;
    }

    private async Task<Attempt> AttemptAsync(LoadRequest request, TimeSpan start, TimeSpan due)
    {
        // The timeout runs from the moment the client issues the attempt (a load generator that falls behind its
        // schedule must not shorten it); the recorded start is the due time, so its lateness shows as latency.
        var deadline = _clock() + Model.RequestTimeout;
        if (Model.HonourRetryAfter && Model.BudgetEndsAttempts && due + Model.RetryBudget < deadline) deadline = due + Model.RetryBudget;
        if (Interlocked.Increment(ref _inFlight) > Model.MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return new Attempt(start, _clock(), null, Attempt.PoolFull, null, null);
        }
        try
        {
            var left = deadline - _clock();
            if (left <= TimeSpan.Zero || !await _connections.WaitAsync(left))
                return new Attempt(start, _clock(), null, Attempt.PoolFull, null, null);
            try
            {
                // A connection freed in the last moments (typically by another request's own timeout) comes too late: a
                // client does not send a request it will abandon before any answer can come; not sent, it is pool-full.
                if (deadline - _clock() < Model.RequestTimeout * MinimumShareLeftToSend)
                    return new Attempt(start, _clock(), null, Attempt.PoolFull, null, null);
                return await ExchangeAsync(request, start, deadline);
            }
            finally
            {
                _connections.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task<Attempt> ExchangeAsync(LoadRequest request, TimeSpan start, TimeSpan deadline)
    {
        using var message = Build(request);
        using var timeout = new CancellationTokenSource(Max(deadline - _clock(), TimeSpan.FromMilliseconds(1)));
        try
        {
            using var response = await _http.SendAsync(message, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            var answer = AnswerBody.Parse(body);
            var status = (int)response.StatusCode;
            return new Attempt(start, _clock(), status, null, answer.Problem, answer.Applied)
            {
                Node = response.Headers.TryGetValues(ServedByHeader, out var served) ? served.FirstOrDefault() : null,
                Balance = answer.Balance,
                Version = answer.Version,
                ResponseKey = response.Headers.TryGetValues("Idempotency-Key", out var keys) ? keys.FirstOrDefault() : null,
                RetryAfter = RetryAfterOf(response),
            };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return new Attempt(start, _clock(), null, timeout.IsCancellationRequested ? Attempt.Timeout : Classify(e), null, null);
        }
    }

    private static HttpRequestMessage Build(LoadRequest request)
    {
        if (request.Operation == Operation.Read) return new HttpRequestMessage(HttpMethod.Get, $"accounts/{request.Account}");
        var message = new HttpRequestMessage(HttpMethod.Post, $"accounts/{request.Account}/{(request.Operation == Operation.Deposit ? "deposit" : "withdraw")}")
        {
            Content = new StringContent($"{{\"amount\": {request.Amount}}}", Encoding.UTF8, "application/json"),
        };
        if (request.Key is not null) message.Headers.Add("Idempotency-Key", request.Key);
        return message;
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response) =>
        response.Headers.RetryAfter is { } r
            ? r.Delta ?? (r.Date is { } date ? Max(date - DateTimeOffset.UtcNow, TimeSpan.Zero) : null)
            : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Transport failures by kind: what a client would see on its socket.</summary>
    public static string Classify(Exception e)
    {
        if (e is OperationCanceledException) return Attempt.Timeout;
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

    public void Dispose()
    {
        _http.Dispose();
        _connections.Dispose();
    }
}

/// <summary>What a ledger answer's JSON body says (HAProxy's own error pages are HTML and say nothing).</summary>
public readonly record struct AnswerBody(string? Problem, bool? Applied, long? Balance, long? Version)
{
    public static AnswerBody Parse(string body)
    {
        if (body.Length == 0 || body[0] != '{') return default;
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            return new AnswerBody(
                json.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()?.Split('/')[^1] : null,
                json.TryGetProperty("applied", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False ? a.GetBoolean() : null,
                json.TryGetProperty("balance", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetInt64() : null,
                json.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null);
        }
        catch (JsonException) { return default; }
    }
}
