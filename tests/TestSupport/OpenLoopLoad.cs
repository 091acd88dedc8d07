using System.Collections.Concurrent;
using System.Diagnostics;

namespace ActorService.TestSupport;

/// <summary>What the load sends: rate, mix, accounts, and which client sends it.</summary>
public sealed record LoadOptions(Uri Target)
{
    public int RatePerSecond { get; init; } = 300;
    public int Accounts { get; init; } = 1000;
    /// <summary>Share of requests that are deposits.</summary>
    public double DepositShare { get; init; } = 0.5;
    /// <summary>Share of requests that are withdrawals (some are refused with 409: the history checker wants refusals too).</summary>
    public double WithdrawShare { get; init; }
    /// <summary>The client: the ordinary one unless a spec says otherwise.</summary>
    public ClientModel Client { get; init; } = ClientModel.Ordinary;
    public int Seed { get; init; } = 17;
}

/// <summary>
/// An open-loop load generator: requests are due on a fixed schedule (<see cref="LoadOptions.RatePerSecond"/>) whether
/// or not earlier ones have answered, and latency counts from the due time, so a stalled server shows up as latency and
/// failures instead of silently lowering the rate. Deposits (and withdrawals) carry unique idempotency keys; the rest
/// are balance reads. Every request is recorded with all its attempts; <see cref="Mark"/> puts events on the same clock.
/// </summary>
public sealed class OpenLoopLoad : IAsyncDisposable
{
    private readonly LoadOptions _options;
    private readonly OrdinaryClient _client;
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
        _clock.Start();
        _client = new OrdinaryClient(options.Target, options.Client, () => _clock.Elapsed);
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

    /// <summary>The scheduled load's requests (without the seeding): what the figures are about.</summary>
    public IEnumerable<RequestRecord> Scheduled => _records.Where(r => !r.Seeding);

    /// <summary>
    /// One acknowledged deposit of 1 per account before the load starts, so reads never meet a 404. A deposit that
    /// fails is sent again with its key (a cold cluster may be slow to its first answers; seeding is not measured).
    /// </summary>
    public async Task SeedAccountsAsync(int parallelism = 16, TimeSpan? within = null)
    {
        var deadline = Now + (within ?? TimeSpan.FromSeconds(60));
        await Parallel.ForEachAsync(Enumerable.Range(0, _options.Accounts), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, _) =>
        {
            var request = new LoadRequest(Operation.Deposit, AccountId(i), 1, $"{RunId}-seed{i}");
            while (true)
            {
                var record = await SendAsync(request, seeding: true);
                if (record.Ok) return;
                if (Now > deadline) throw new InvalidOperationException($"seeding {record.Account} failed: {LoadReport.Describe(record)}");
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        });
    }

    /// <summary>Sends one request now through the load's client and records it (a spec's own probe inside the history).</summary>
    public async Task<RequestRecord> SendAsync(LoadRequest request, bool seeding = false)
    {
        var record = await _client.SendAsync(Interlocked.Increment(ref _seq), request, Now) with { Seeding = seeding };
        _records.Enqueue(record);
        return record;
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
            var task = Run(seq, Next(random, seq), due);
            _running[seq] = task;
            _ = task.ContinueWith(_ => _running.TryRemove(seq, out Task? _), TaskScheduler.Default);
        }
    }

    private LoadRequest Next(Random random, long seq)
    {
        var pick = random.NextDouble();
        var account = AccountId(random.Next(_options.Accounts));
        var amount = random.Next(1, 101);
        if (pick < _options.DepositShare) return new LoadRequest(Operation.Deposit, account, amount, $"{RunId}-k{seq}");
        if (pick < _options.DepositShare + _options.WithdrawShare) return new LoadRequest(Operation.Withdraw, account, amount, $"{RunId}-k{seq}");
        return new LoadRequest(Operation.Read, account);
    }

    private async Task Run(long seq, LoadRequest request, TimeSpan due)
    {
        var record = await _client.SendAsync(seq, request, due);
        _records.Enqueue(record);
    }

    /// <summary>Stops starting requests and waits for every started one to finish.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_scheduler is not null) await _scheduler;
        await Task.WhenAll(_running.Values);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
