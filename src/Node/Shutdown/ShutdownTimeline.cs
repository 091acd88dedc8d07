using System.Collections.Concurrent;
using System.Diagnostics;
using ActorService.Actors;
using ActorService.Node.Http;

namespace ActorService.Node.Shutdown;

/// <summary>
/// Records a drain as it happens: a marker task in every CoordinatedShutdown phase calls <see cref="PhaseStarted"/>,
/// which also ends the previous phase, so each phase's start, end and duration are logged as one structured event
/// each, with the counts the plan's tasks noted. A sampler records in-flight requests, active entities and entity mailbox depth every
/// 100 ms. <see cref="Finish"/> turns it all into the <see cref="ShutdownReport"/>.
/// </summary>
public sealed class ShutdownTimeline(ILogger<ShutdownTimeline> logger, IntakeGate gate, LedgerMetrics ledger)
{
    private sealed class Phase(string name, TimeSpan timeout, double startMs)
    {
        public string Name { get; } = name;
        public TimeSpan Timeout { get; } = timeout;
        public double StartMs { get; } = startMs;
        public double? EndMs { get; set; }
        public ConcurrentDictionary<string, object> Counts { get; } = new();
    }

    private readonly Lock _lock = new();
    private readonly List<Phase> _phases = [];
    private readonly ConcurrentQueue<string> _abandoned = new();
    private readonly ConcurrentQueue<DrainSample> _samples = new();
    private readonly Stopwatch _clock = new();
    private Timer? _sampler;
    private DateTimeOffset _startedAt;
    private string _reason = "none";
    private ShutdownReport? _report;

    public string ShutdownId { get; } = Guid.NewGuid().ToString("N")[..12];
    public bool HasBegun => _clock.IsRunning || _report is not null;
    public string? CurrentPhase { get { lock (_lock) return _phases.LastOrDefault(p => p.EndMs is null)?.Name; } }
    public double ElapsedMs => _clock.Elapsed.TotalMilliseconds;

    /// <summary>Starts the clock; only the first call counts. <see cref="DrainTrigger"/> is the one caller.</summary>
    public void Begin(string reason)
    {
        lock (_lock)
        {
            if (HasBegun) return;
            _reason = reason;
            _startedAt = DateTimeOffset.UtcNow;
            _clock.Start();
            _sampler = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }
        logger.LogInformation("Shutdown {ShutdownId} begins: reason {Reason}, {InFlight} requests in flight, {Entities} active entities",
                ShutdownId, reason, gate.InFlight, ledger.ActiveEntityCount);
    }

    public void PhaseStarted(string name, TimeSpan timeout)
    {
        Phase? previous;
        lock (_lock)
        {
            previous = _phases.LastOrDefault();
            if (previous is not null) previous.EndMs = ElapsedMs;
            _phases.Add(new Phase(name, timeout, ElapsedMs));
        }
        if (previous is not null) LogEnded(previous);
        logger.LogInformation("Shutdown phase {Phase} started at +{AtMs:0} ms (timeout {TimeoutMs:0} ms)", name, ElapsedMs, timeout.TotalMilliseconds);
    }

    /// <summary>Each phase begun so far and its duration (the running phase: up to now), for the metrics exporter.</summary>
    public IReadOnlyList<(string Phase, double DurationMs)> PhaseDurations()
    {
        lock (_lock) return _phases.Select(p => (p.Name, (p.EndMs ?? ElapsedMs) - p.StartMs)).ToList();
    }

    /// <summary>Adds a count to a phase's end event and to the report.</summary>
    public void Note(string phase, string key, object value)
    {
        lock (_lock)
        {
            var p = _phases.LastOrDefault(x => x.Name == phase);
            if (p is not null) p.Counts[key] = value;
        }
    }

    public void Abandon(string what)
    {
        _abandoned.Enqueue(what);
        logger.LogWarning("Shutdown abandoned {What}", what);
    }

    private void LogEnded(Phase p)
    {
        var took = (p.EndMs ?? ElapsedMs) - p.StartMs;
        var timedOut = took >= p.Timeout.TotalMilliseconds;
        logger.Log(timedOut ? LogLevel.Warning : LogLevel.Information,
            "Shutdown phase {Phase} finished in {DurationMs:0} ms{TimedOut} {Counts}",
            p.Name, took, timedOut ? " (TIMED OUT)" : "", string.Join(", ", p.Counts.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    private void Sample()
    {
        if (_samples.Count < 10_000) _samples.Enqueue(new DrainSample(Math.Round(ElapsedMs, 1), gate.InFlight, ledger.ActiveEntityCount, ledger.EntityMailboxDepth));
    }

    /// <summary>Ends the last phase and builds the report; later calls return the same report.</summary>
    public ShutdownReport Finish(string node, Func<ShutdownReport, int> exitCode)
    {
        lock (_lock)
        {
            if (_report is not null) return _report;
            _sampler?.Dispose();
            Sample();
            var last = _phases.LastOrDefault();
            if (last is not null) last.EndMs ??= ElapsedMs;
            if (last is not null) LogEnded(last);

            var phases = _phases.Select(p =>
            {
                var took = (p.EndMs ?? ElapsedMs) - p.StartMs;
                return new PhaseReport(p.Name, Math.Round(p.StartMs, 1), Math.Round(took, 1), p.Timeout.TotalMilliseconds,
                    took >= p.Timeout.TotalMilliseconds, new Dictionary<string, object>(p.Counts));
            }).ToList();
            var draft = new ShutdownReport(ShutdownId, node, _reason, _startedAt, Math.Round(ElapsedMs, 1), 0, true,
                phases, _abandoned.ToList(), _samples.ToList());
            var code = exitCode(draft);
            _clock.Stop();
            return _report = draft with { ExitCode = code, Clean = code == ExitCodes.Clean };
        }
    }
}
