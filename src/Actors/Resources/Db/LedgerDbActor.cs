using System.Diagnostics;
using ActorService.Actors.Settings;
using ActorService.Actors.Supervision;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Polly;
using static ActorService.Actors.Resources.Db.LedgerDbCommands;
using static ActorService.Actors.Resources.Db.LedgerDbReplies;

namespace ActorService.Actors.Resources.Db;

/// <summary>
/// Owns the ledger database. Reads run concurrently; writes are <b>group-committed</b>: while one transaction is in
/// flight, writes from every entity queue up, and the next transaction takes up to <c>group-commit.max-batch</c> of
/// them at once, so one fsync acknowledges many entities. Each entity is answered only after the commit that holds
/// its write. Transient errors are retried with bounded, jittered backoff (<see cref="Strategies.TransientDbRetry"/>).
/// Every commit gets exactly one answer: done, failed (outcome unknown) or dropped (never started), and a
/// load of an account waits for that account's pending commits (<see cref="CommitsInProgress"/>).
/// On <see cref="ResourceCommands.Close"/> it commits what is queued, then closes the store; anything that arrives
/// later is refused with <see cref="Unavailable"/>, never with a disposed connection.
/// </summary>
public sealed class LedgerDbActor : ReceiveActor, IWithTimers
{
    private sealed record BatchDone(IReadOnlyList<(Commit Request, IActorRef ReplyTo)> Batch, IReadOnlyList<WriteOutcome> Outcomes, TimeSpan Took);
    private sealed record BatchFailed(IReadOnlyList<(Commit Request, IActorRef ReplyTo)> Batch, Exception Error);
    private sealed class LingerElapsed { public static readonly LingerElapsed Instance = new(); }
    private sealed record StoreClosed(Exception? Error);

    private readonly ILedgerStore _store;
    private readonly DbSettings _settings;
    private readonly LedgerMetrics _metrics;
    private readonly ResiliencePipeline _retry;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<(Commit Request, IActorRef ReplyTo)> _queue = new();
    private readonly CommitsInProgress _inProgress = new();
    private IReadOnlyList<(Commit Request, IActorRef ReplyTo)>? _batch;
    private bool _committing, _lingering;
    private IActorRef? _closeRequester;
    private readonly Stopwatch _closeTimer = new();
    private long _committedWrites, _batches;

    public ITimerScheduler Timers { get; set; } = null!;

    public LedgerDbActor(ILedgerStore store, DbSettings settings, LedgerMetrics metrics)
    {
        _store = store;
        _settings = settings;
        _metrics = metrics;
        _retry = Strategies.TransientDbRetry(store.IsTransient, settings);
        Open();
    }

    private void Open()
    {
        Receive<LoadAccount>(m =>
        {
            if (!_inProgress.TryHold(m, Sender)) Load(m, Sender);
        });
        Receive<DeleteKeysOlderThan>(m => Read(() => _store.DeleteKeysOlderThanAsync(m.Cutoff, m.Limit, CancellationToken.None), n => new KeysDeleted(n)));
        Receive<Commit>(m =>
        {
            _inProgress.Started(m.Write.AccountId);
            _queue.Enqueue((m, Sender));
            TryStartBatch();
        });
        Receive<LingerElapsed>(_ =>
        {
            _lingering = false;
            TryStartBatch(force: true);
        });
        Receive<BatchDone>(OnBatchDone);
        Receive<BatchFailed>(OnBatchFailed);
        Receive<ResourceCommands.Close>(_ =>
        {
            _closeRequester = Sender;
            _closeTimer.Start();
            _log.Info("Closing ledger db ({Backend}): {Queued} queued writes, commit in flight: {InFlight}", _store.Backend, _queue.Count, _committing);
            Become(Closing);
            TryStartBatch(force: true);
            CloseWhenIdle();
        });
    }

    // While closing: queued writes still commit; new requests are refused so nothing touches the store after it closed.
    private void Closing()
    {
        Receive<BatchDone>(m =>
        {
            OnBatchDone(m);
            CloseWhenIdle();
        });
        Receive<BatchFailed>(m =>
        {
            OnBatchFailed(m);
            CloseWhenIdle();
        });
        Receive<LingerElapsed>(_ => TryStartBatch(force: true));
        Receive<StoreClosed>(m =>
        {
            if (m.Error is not null) _log.Error(m.Error, "Closing the ledger db failed");
            _closeRequester?.Tell(new ResourceReplies.Closed("db", _closeTimer.Elapsed,
                $"{_store.Backend}: {_committedWrites} writes in {_batches} commits since start"));
            Become(Closed);
        });
        ReceiveAny(RefuseClosed);
    }

    private void Closed()
    {
        Receive<ResourceCommands.Close>(_ => Sender.Tell(new ResourceReplies.Closed("db", TimeSpan.Zero, "already closed")));
        ReceiveAny(RefuseClosed);
    }

    private void RefuseClosed(object message) => Refuse(message, Sender);

    private static void Refuse(object message, IActorRef replyTo)
    {
        const string closed = "the ledger database is closed: the node is shutting down";
        if (message is Commit c) replyTo.Tell(new CommitDropped(c.CommitId, closed)); // never started: certainly not applied
        else replyTo.Tell(new Unavailable(message is LoadAccount l ? l.RequestId : 0, closed));
    }

    /// <summary>
    /// Stopped (the node shuts down, or the supervisor replaces a crashed db actor): every request still held gets its
    /// one answer. Queued commits never started (dropped: not applied); the batch in progress has an unknown outcome.
    /// </summary>
    protected override void PostStop()
    {
        while (_queue.TryDequeue(out var queued)) queued.ReplyTo.Tell(new CommitDropped(queued.Request.CommitId, "the ledger db actor stopped first"));
        foreach (var (request, replyTo) in _batch ?? [])
            replyTo.Tell(new Unavailable(request.CommitId, "the ledger db actor stopped while committing"));
        foreach (var (load, replyTo) in _inProgress.Abandon()) Refuse(load, replyTo);
    }

    private void CloseWhenIdle()
    {
        if (_committing || _queue.Count > 0) return;
        var self = Self;
        _store.DisposeAsync().AsTask().ContinueWith(t => new StoreClosed(t.Exception?.GetBaseException()), TaskScheduler.Default)
            .PipeTo(self);
    }

    private void Load(LoadAccount m, IActorRef replyTo) =>
        Read(() => _store.LoadAccountAsync(m.AccountId, CancellationToken.None), s => new AccountLoaded(m.AccountId, s, m.RequestId), replyTo, m.RequestId);

    private void Read<T>(Func<Task<T>> read, Func<T, object> reply, IActorRef? replyTo = null, long requestId = 0)
    {
        replyTo ??= Sender;
        _retry.ExecuteAsync(async _ => await read()).AsTask()
            .PipeTo(replyTo, success: r => reply(r), failure: e => new Unavailable(requestId, Describe(e)));
    }

    /// <summary>A commit of the account was answered: loads that waited for it may run (refused once the db is closing).</summary>
    private void Answered(Commit request)
    {
        if (_inProgress.Finished(request.Write.AccountId) is not { } released) return;
        foreach (var (load, replyTo) in released)
            if (_closeRequester is null) Load(load, replyTo);
            else Refuse(load, replyTo);
    }

    private void TryStartBatch(bool force = false)
    {
        if (_committing || _queue.Count == 0) return;
        // Linger (off by default): wait a moment for more writes when the queue is short. Natural batching while a
        // commit is in flight already gives large batches under load, so linger only matters for light, bursty load.
        if (!force && _settings.Linger > TimeSpan.Zero && _queue.Count < _settings.MaxBatch)
        {
            if (!_lingering)
            {
                _lingering = true;
                Timers.StartSingleTimer(LingerElapsed.Instance, LingerElapsed.Instance, _settings.Linger);
            }
            return;
        }

        var batch = new List<(Commit, IActorRef)>(Math.Min(_queue.Count, _settings.MaxBatch));
        var now = Stopwatch.GetTimestamp();
        while (batch.Count < _settings.MaxBatch && _queue.TryDequeue(out var item))
        {
            if (item.Request.Deadline != 0 && item.Request.Deadline < now)
            {
                // Its entity has given up on it (and told its caller the outcome is unknown): applying it now would
                // only make that answer come true late. Dropped, it is certainly not applied.
                item.ReplyTo.Tell(new CommitDropped(item.Request.CommitId, "the database did not start the commit in time"));
                Answered(item.Request);
                continue;
            }
            batch.Add(item);
        }
        if (batch.Count == 0) return;
        _committing = true;
        _batch = batch;
        var writes = batch.Select(b => b.Item1.Write).ToList();
        var started = Stopwatch.GetTimestamp();
        var self = Self;
        _retry.ExecuteAsync(async ct => await _store.CommitAsync(writes, ct)).AsTask()
            .PipeTo(self,
                success: outcomes => new BatchDone(batch, outcomes, Stopwatch.GetElapsedTime(started)),
                failure: e => new BatchFailed(batch, e));
    }

    private void OnBatchDone(BatchDone done)
    {
        _committing = false;
        _batch = null;
        _batches++;
        _committedWrites += done.Batch.Count;
        _metrics.RecordCommit(done.Batch.Count, done.Took);
        for (var i = 0; i < done.Batch.Count; i++)
        {
            done.Batch[i].ReplyTo.Tell(new CommitDone(done.Batch[i].Request.CommitId, done.Outcomes[i]));
            Answered(done.Batch[i].Request);
        }
        TryStartBatch();
    }

    private void OnBatchFailed(BatchFailed failed)
    {
        _committing = false;
        _batch = null;
        _log.Error(failed.Error, "Group commit of {Count} writes failed after retries", failed.Batch.Count);
        foreach (var (request, replyTo) in failed.Batch)
        {
            replyTo.Tell(new Unavailable(request.CommitId, Describe(failed.Error)));
            Answered(request);
        }
        TryStartBatch();
    }

    private static string Describe(Exception e) => $"database error: {e.GetBaseException().Message}";

    /// <summary>Props for the db actor, run under a restart-with-backoff supervisor so a crash never takes the node down.</summary>
    public static Props Props(ILedgerStore store, DbSettings settings, LedgerMetrics metrics) =>
        Akka.Actor.Props.Create(() => new LedgerDbActor(store, settings, metrics));
}

/// <summary>Registers the ledger db actor with Akka.Hosting, under a restart-with-backoff supervisor.</summary>
public static class LedgerDbSetup
{
    public static AkkaConfigurationBuilder WithLedgerDb(this AkkaConfigurationBuilder builder, ILedgerStore store, DbSettings settings) =>
        builder.WithActors((system, registry) =>
            registry.Register<LedgerDb>(system.ActorOf(
                Strategies.RestartResourceWithBackoff(LedgerDbActor.Props(store, settings, LedgerMetrics.For(system)), "db"), "ledger-db")));
}
