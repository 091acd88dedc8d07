using System.Diagnostics;
using ActorService.Actors.Drain;
using ActorService.Actors.Settings;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace ActorService.Actors.Resources.Events;

/// <summary>
/// Ships the outbox to the event sink, at least once, in batches: claim up to <c>events.batch-size</c> unshipped rows,
/// publish them, and mark them shipped only after the sink confirmed. One batch at a time; a full batch is followed
/// at once by the next, otherwise the outbox is polled every <c>events.poll-interval</c>.
/// <para>
/// It is the seed document's "event push" background work: its loop is registered with <see cref="IBackgroundWork"/>
/// as <c>event-publisher</c>. When <c>service-stop</c> begins it ships until the outbox is empty, then its tracked work
/// ends (writes that entities still commit during the hand-off wait in the outbox). On <see cref="ResourceCommands.Close"/>,
/// the first resource to close, it flushes the whole outbox before it answers, so the cache and the database close
/// after every applied write has left the node. Whatever cannot be shipped (sink down, close deadline) stays in the
/// outbox and is shipped after the next start, by this node or any other.
/// </para>
/// <para>
/// Both flushes are bounded: each first reads the outbox's highest id and ships only rows up to it. Every write this
/// node committed before the request is at or below that mark; rows other nodes add meanwhile are theirs to ship, and
/// with heavy traffic on them an unbounded flush would never see an empty outbox before the drain's deadline.
/// </para>
/// </summary>
public sealed class EventPublisherActor : ReceiveActor, IWithTimers
{
    private sealed class Tick { public static readonly Tick Instance = new(); }
    private sealed class StopRequested { public static readonly StopRequested Instance = new(); }
    private sealed record BatchShipped(int Count, long Backlog, int Request = 0, long? Mark = null);
    private sealed record BatchFailed(Exception Error, long Backlog = -1);
    private sealed record SinkClosed(Exception? Error);

    private readonly IOutboxStore _outbox;
    private readonly IEventSink _sink;
    private readonly EventsSettings _settings;
    private readonly IBackgroundWork _background;
    private readonly LedgerMetrics _metrics;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenRegistration _stoppingRegistration;
    private bool _busy, _stopping;
    // Whether the batch in flight (or last finished) claimed after the latest stop or close request: only such a
    // batch coming back empty proves the outbox was flushed as of that request.
    private bool _batchStartedAfterRequest;
    // The bound of the flush for the latest stop or close request (null until the first batch after it read it), and
    // which request that is: a mark read for an earlier request must not bound a later one.
    private bool _flushing;
    private long? _flushUpTo;
    private int _request;
    private int _consecutiveFailures;
    private long _shipped, _backlog;
    private IActorRef? _closeRequester;
    private readonly Stopwatch _closeTimer = new();
    private string? _closeProblem;

    public ITimerScheduler Timers { get; set; } = null!;

    public EventPublisherActor(IOutboxStore outbox, IEventSink sink, EventsSettings settings, IBackgroundWork background, LedgerMetrics metrics)
    {
        _metrics = metrics;
        _outbox = outbox;
        _sink = sink;
        _settings = settings;
        _background = background;
        Publishing();
    }

    protected override void PreStart()
    {
        var self = Self;
        if (_background.TryStart("event-publisher", abort =>
            {
                // At the stop deadline the tracker cancels us: stop counting as running; Close still flushes later.
                abort.Register(() => _loopDone.TrySetResult());
                return _loopDone.Task;
            }))
        {
            _stoppingRegistration = _background.Stopping.Register(() => self.Tell(StopRequested.Instance));
            self.Tell(Tick.Instance);
        }
        else
        {
            // Started (or restarted) after service-stop began: no loop any more, only the final flush at Close.
            _loopDone.TrySetResult();
            Become(Paused);
        }
    }

    protected override void PostStop()
    {
        _stoppingRegistration.Dispose();
        _loopDone.TrySetResult(); // a stopped actor must never hold up the drain
    }

    private void Publishing()
    {
        Receive<Tick>(_ => ShipNext());
        Receive<BatchShipped>(m =>
        {
            OnShipped(m);
            if (m.Count == _settings.BatchSize) ShipNext();
            else if (_stopping && (m.Count > 0 || !_batchStartedAfterRequest)) ShipNext();
            else if (_stopping) FinishLoop();
            else Timers.StartSingleTimer(Tick.Instance, Tick.Instance, _settings.PollInterval);
        });
        Receive<BatchFailed>(m =>
        {
            _busy = false;
            var delay = OnFailed(m);
            if (_stopping) FinishLoop(); // the outbox keeps the rest; Close tries once more
            else Timers.StartSingleTimer(Tick.Instance, Tick.Instance, delay);
        });
        Receive<StopRequested>(_ =>
        {
            _stopping = true;
            NewFlushRequest();
            _log.Info("Event publisher: service-stop began; shipping the outbox ({Backlog} rows at last count) before the loop ends", _backlog);
            if (!_busy) ShipNext();
        });
        Receive<ResourceCommands.Close>(_ => BeginClose());
    }

    // After the loop ended (service-stop): nothing ships until Close flushes the outbox.
    private void Paused()
    {
        Receive<ResourceCommands.Close>(_ => BeginClose());
        Receive<BatchShipped>(OnShipped);
        Receive<BatchFailed>(m =>
        {
            _busy = false;
            OnFailed(m);
        });
        Receive<Tick>(_ => { });
        Receive<StopRequested>(_ => { });
    }

    private void Closing()
    {
        Receive<BatchShipped>(m =>
        {
            OnShipped(m);
            if (m.Count > 0 || !_batchStartedAfterRequest) ShipNext();
            else CloseSink();
        });
        Receive<BatchFailed>(m =>
        {
            _busy = false;
            OnFailed(m);
            if (_consecutiveFailures < 3) Timers.StartSingleTimer(Tick.Instance, Tick.Instance, TimeSpan.FromMilliseconds(200));
            else
            {
                _closeProblem = $"gave up after {_consecutiveFailures} failures: {m.Error.GetBaseException().Message}";
                CloseSink();
            }
        });
        Receive<Tick>(_ => ShipNext());
        Receive<SinkClosed>(m =>
        {
            if (m.Error is not null) _log.Error(m.Error, "Closing the event sink failed");
            var left = _closeProblem is null ? $"outbox flushed up to id {_flushUpTo}" : $"rows left in the outbox for the next start ({_closeProblem})";
            _closeRequester?.Tell(new ResourceReplies.Closed("events", _closeTimer.Elapsed,
                $"{_sink.Backend} {_sink.Where}: {_shipped} events shipped since start; {left}"));
            Become(Closed);
        });
        Receive<ResourceCommands.Close>(_ => _closeRequester = Sender);
        Receive<StopRequested>(_ => { });
    }

    private void Closed()
    {
        Receive<ResourceCommands.Close>(_ => Sender.Tell(new ResourceReplies.Closed("events", TimeSpan.Zero, "already closed")));
        ReceiveAny(_ => { });
    }

    private void BeginClose()
    {
        _closeRequester = Sender;
        _closeTimer.Start();
        _loopDone.TrySetResult();
        Timers.CancelAll();
        _consecutiveFailures = 0;
        NewFlushRequest();
        _log.Info("Closing events: flushing the outbox to {Sink} {Where}", _sink.Backend, _sink.Where);
        Become(Closing);
        if (!_busy) ShipNext(); // else the batch in flight continues the flush when it lands
    }

    private void FinishLoop()
    {
        _log.Info("Event publisher loop ended: {Shipped} events shipped since start, {Backlog} waiting for the final flush", _shipped, _backlog);
        _loopDone.TrySetResult();
        Become(Paused);
    }

    private void NewFlushRequest()
    {
        _flushing = true;
        _flushUpTo = null;
        _request++;
        _batchStartedAfterRequest = false;
    }

    private void ShipNext()
    {
        if (_busy) return;
        _busy = true;
        _batchStartedAfterRequest = true;
        var readMark = _flushing && _flushUpTo is null;
        ShipBatchAsync(_request, readMark, _flushUpTo ?? long.MaxValue).PipeTo(Self, success: r => r, failure: e => new BatchFailed(e));
    }

    private async Task<object> ShipBatchAsync(int request, bool readMark, long upTo)
    {
        using var timeout = new CancellationTokenSource(_settings.ClaimLease);
        IReadOnlyList<OutboxEvent> events;
        long? mark = null;
        try
        {
            if (readMark) upTo = (mark = await _outbox.LastIdAsync(timeout.Token)).Value;
            events = await _outbox.ClaimUnshippedAsync(_settings.Owner, _settings.BatchSize, _settings.ClaimLease, timeout.Token, upTo);
            if (events.Count > 0)
            {
                await _sink.PublishAsync(events, timeout.Token);
                await _outbox.MarkShippedAsync(events.Select(e => e.Id).ToList(), CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            // The sink (or the database) failed: the rows stay in the outbox. Count them for the gauge if we can.
            long backlog = -1;
            try { backlog = await _outbox.CountUnshippedAsync(timeout.Token); }
            catch (Exception) { /* the database is down too; keep the last count */ }
            return new BatchFailed(e, backlog);
        }
        // Count only when caught up: while a backlog drains, full batches follow each other without the extra query.
        var caughtUpBacklog = events.Count < _settings.BatchSize ? await _outbox.CountUnshippedAsync(timeout.Token) : -1;
        return new BatchShipped(events.Count, caughtUpBacklog, request, mark);
    }

    private void OnShipped(BatchShipped m)
    {
        _busy = false;
        _shipped += m.Count;
        if (m.Mark is { } mark && m.Request == _request && _flushUpTo is null)
        {
            _flushUpTo = mark;
            _log.Info("Event publisher: flushing the outbox up to id {Mark}", mark);
        }
        if (m.Backlog >= 0)
        {
            _backlog = m.Backlog;
            _metrics.SetOutboxBacklog(m.Backlog);
        }
        if (m.Count > 0) _metrics.EventsShipped(m.Count);
        if (_consecutiveFailures > 0)
            _log.Info("Event publisher recovered after {Failures} failed attempts", _consecutiveFailures);
        _consecutiveFailures = 0;
    }

    private TimeSpan OnFailed(BatchFailed failed)
    {
        var error = failed.Error;
        if (failed.Backlog >= 0)
        {
            _backlog = failed.Backlog;
            _metrics.SetOutboxBacklog(failed.Backlog);
        }
        _consecutiveFailures++;
        // Warn on the first failure and then every tenth, so a long Redis outage does not flood the log.
        if (_consecutiveFailures == 1 || _consecutiveFailures % 10 == 0)
            _log.Warning("Event publisher: shipping failed ({Failures} in a row), events stay in the outbox: {Error}",
                _consecutiveFailures, error.GetBaseException().Message);
        var backoff = _settings.PollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(_consecutiveFailures, 6));
        return TimeSpan.FromMilliseconds(Math.Min(backoff, _settings.MaxRetryDelay.TotalMilliseconds));
    }

    private void CloseSink()
    {
        _sink.DisposeAsync().AsTask().ContinueWith(t => new SinkClosed(t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(Self);
    }

    public static Props Props(IOutboxStore outbox, IEventSink sink, EventsSettings settings, IBackgroundWork background, LedgerMetrics metrics) =>
        Akka.Actor.Props.Create(() => new EventPublisherActor(outbox, sink, settings, background, metrics));
}

/// <summary>Registers the event publisher with Akka.Hosting, under a restart-with-backoff supervisor.</summary>
public static class EventPublisherSetup
{
    /// <param name="sink">Called when the ActorSystem starts: the sink may be opened after the host was built.</param>
    public static AkkaConfigurationBuilder WithEventPublisher(this AkkaConfigurationBuilder builder,
        IOutboxStore outbox, Func<IEventSink> sink, EventsSettings settings, IBackgroundWork background) =>
        builder.WithActors((system, registry) =>
            registry.Register<EventPublisher>(system.ActorOf(
                Supervision.Strategies.RestartResourceWithBackoff(EventPublisherActor.Props(outbox, sink(), settings, background, LedgerMetrics.For(system)), "events"),
                "event-publisher")));
}
