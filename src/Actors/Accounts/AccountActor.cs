using System.Diagnostics;
using ActorService.Actors.Diagnostics;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.Logging;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;
using Unavailable = ActorService.Actors.Accounts.AccountReplies.Unavailable;

namespace ActorService.Actors.Accounts;

/// <summary>
/// One account, as an Orleans-style virtual actor: Cluster Sharding activates it on its first message anywhere in
/// the cluster, it loads its state, handles one command at a time (so balances never race) and is passivated by its
/// shard after <c>accounts.passivate-after</c> idle. Its decisions (balances, keys, overflow, versions) are
/// <see cref="AccountRules"/>; it carries them out and tells every caller which kind of answer it got: applied,
/// certainly not applied, or unknown (<see cref="AccountReplies"/>).
/// <para>
/// A write is answered only after the group commit that holds it; meanwhile further writes and the stop message are
/// stashed, so a hand-off or passivation processes every queued command before the entity stops. It is an
/// <see cref="UntypedActor"/> with its state in a field read by one switch, and leaves idle passivation to the shard:
/// a million of them must be cheap (<c>ReceiveActor</c> and <c>Become</c> allocate handler tables and closures, and
/// bench/ measured receive-timeout timers surviving into gen 1 and pausing the node).
/// </para>
/// <para>
/// Activation asks the snapshot cache first. A cached snapshot is only a <em>basis</em>, never the truth: a write may
/// be decided on it, because the database records the decision (a balance change, or a refusal with its key) only if
/// the account still has exactly that version and balance (otherwise the entity decides again on the current row);
/// but a read is answered only from state the database confirmed, and while any cluster member is unreachable only
/// from a load that started after the read arrived (<see cref="ReachabilitySignal"/>).
/// </para>
/// </summary>
public sealed class AccountActor : UntypedActor, IWithStash
{
    /// <summary>The largest single amount the API accepts (<see cref="AccountRules.MaxAmount"/>; the HTTP layer reads it here).</summary>
    public const long MaxAmount = AccountRules.MaxAmount;
    // The cache actor answers within cache.read-timeout; this only covers a reply lost while it restarts.
    private static readonly TimeSpan CacheWait = TimeSpan.FromSeconds(1);

    /// <summary>A write being committed. <see cref="Sent"/>: its commit left for the database (before that nothing can be applied).</summary>
    private sealed record InFlight(ApplyWrite Command, IActorRef ReplyTo, long CommitId, PendingWrite Write, int Attempt) { public bool Sent { get; set; } }

    private sealed record TimedOut(long RequestId);
    private sealed record DelayElapsed(long CommitId);

    private enum State : byte { Loading, Ready, Committing, Unusable }

    private readonly string _accountId;
    private readonly AccountEnvironment _env;
    private AccountState _account;
    private bool _verified = true; // false while the state is a cached snapshot the database has not confirmed yet
    private bool _awaitingCache;
    private AccountSnapshot? _cachedBasis;
    private long _loadId; // the cache lookup or load in progress: its answers and timeout carry this id (DbRequestIds)
    private List<IActorRef>? _readers; // reads answered by the load in progress, which started after they arrived
    private RecentWrites? _recent;
    private InFlight? _inFlight;
    private ICancelable? _timeout;
    private int _stashed; // mirrored into LedgerMetrics, so the node knows how many commands wait in entities
    private State _state;
    private string? _unusableReason;

    /// <param name="accountId">The account; null in a shard region, where it is the actor's name (sharding's escaped entity id).</param>
    /// <param name="environment">What all entities of the node share.</param>
    public AccountActor(string? accountId, AccountEnvironment environment)
    {
        _accountId = accountId ?? Uri.UnescapeDataString(Self.Path.Name);
        _env = environment;
    }

    public IStash Stash { get; set; } = null!;

    protected override void PreStart()
    {
        _env.Metrics.EntityActivated();
        BeginActivation();
    }

    /// <summary>
    /// Normally an entity stops with nothing pending (StopEntity waits behind its queue). If sharding stops it anyway
    /// (the hand-off stopper's deadline), every command it still held is answered at once (<see cref="AbandonedCommands"/>).
    /// </summary>
    protected override void PostStop()
    {
        _timeout?.Cancel();
        _env.Metrics.EntityStashChanged(-_stashed); // the stash is cleared below: its commands leave the count
        _stashed = 0;
        var abandoned = AbandonedCommands.AnswerOnStop(_accountId, Stash.ClearStash(), _inFlight?.ReplyTo, _inFlight?.Sent == true, _readers);
        if (abandoned > 0)
        {
            _env.Logger.LogWarning("Account {AccountId} stopped with {Count} commands pending; answered them so they are retried", _accountId, abandoned);
            _env.Metrics.EntityCommandsAbandoned(abandoned);
        }
        _env.Metrics.EntityStopped();
    }

    /// <summary>A write waiting on the database gets an answer before the restart (the failing command itself is answered where it threw).</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _env.Logger.LogError(reason, "Account {AccountId} failed on {Message}; restarting and reloading its state", _accountId, message.GetType().Name);
        if (_inFlight is { } w) w.ReplyTo.Tell(AbandonedCommands.ForWriteInProgress(_accountId, w.Sent, failed: true));
        AnswerReaders(new Unavailable(_accountId, "the account actor failed and was restarted"));
        _inFlight = null;
        UnstashAll(); // the new incarnation processes what this one had stashed
        base.PreRestart(reason, message);
    }

    protected override void OnReceive(object message)
    {
        switch (_state)
        {
            case State.Ready: Ready(message); break;
            case State.Committing: Committing(message); break;
            case State.Loading: Loading(message); break;
            default: Unusable(message); break;
        }
    }

    // ---- Loading: state comes from the cache or the database, commands wait in the stash ----

    /// <summary>First activation: try the cache; a miss (or a failing cache, which answers a miss) goes to the database.</summary>
    private void BeginActivation()
    {
        _state = State.Loading;
        _awaitingCache = true;
        _loadId = DbRequestIds.Next();
        _env.Cache.Tell(new SnapshotCacheCommands.Get(_accountId));
        Schedule(CacheWait, new TimedOut(_loadId));
    }

    /// <summary>
    /// Loads the account from the database. The db actor runs the load only after every commit this node sent for the
    /// account was answered, so after a commit with an unknown outcome the loaded state includes it, or it never happens.
    /// </summary>
    private void BeginLoading()
    {
        _awaitingCache = false;
        _state = State.Loading;
        _loadId = DbRequestIds.Next();
        _env.Db.Tell(new LedgerDbCommands.LoadAccount(_accountId, _loadId));
        Schedule(_env.Settings.CommitTimeout, new TimedOut(_loadId));
    }

    private void Loading(object message)
    {
        switch (message)
        {
            case SnapshotCacheReplies.Lookup { Snapshot: { } cached } when _awaitingCache:
                _awaitingCache = false;
                _env.Metrics.CacheLookup("hit");
                _account = AccountState.From(cached);
                _cachedBasis = cached;
                _verified = false;
                EnterReady();
                break;
            case SnapshotCacheReplies.Lookup when _awaitingCache:
            case TimedOut t when _awaitingCache && t.RequestId == _loadId:
                _env.Metrics.CacheLookup("miss");
                BeginLoading();
                break;
            case LedgerDbReplies.AccountLoaded loaded when !_awaitingCache && loaded.RequestId == _loadId:
                AdoptTruth(AccountState.From(loaded.Snapshot));
                SnapshotCacheSync.Loaded(_env, loaded.Snapshot);
                AnswerReaders(AccountRules.Read(_accountId, _account));
                EnterReady();
                break;
            case LedgerDbReplies.Unavailable u when !_awaitingCache && u.RequestId == _loadId:
                GiveUp(u.Reason);
                break;
            case TimedOut t when !_awaitingCache && t.RequestId == _loadId:
                GiveUp("loading the account timed out");
                break;
            case var late when IsLate(late):
                break; // an answer to a request this entity (or an earlier incarnation) already gave up on
            default:
                StashCommand();
                break;
        }
    }

    /// <summary>The database cannot load us: answer everything queued (nothing of it was processed), then ask the shard to stop us.</summary>
    private void GiveUp(string reason)
    {
        _timeout?.Cancel();
        _env.Logger.LogWarning("Account {AccountId} cannot load its state: {Reason}; passivating", _accountId, reason);
        _state = State.Unusable;
        _unusableReason = reason;
        AnswerReaders(new Unavailable(_accountId, reason));
        UnstashAll();
        Context.Parent.Tell(new Passivate(StopEntity.Instance));
    }

    private void Unusable(object message)
    {
        if (message is ApplyWrite or GetBalance) Sender.Tell(new Unavailable(_accountId, _unusableReason ?? "the account is unusable"));
        else if (message is StopEntity) Context.Stop(Self);
    }

    // ---- Ready: one command at a time ----

    private void EnterReady()
    {
        _timeout?.Cancel();
        _timeout = null; // an idle entity keeps no timer object alive: a million of them must stay small
        _inFlight = null;
        _state = State.Ready;
        UnstashAll();
    }

    private void Ready(object message)
    {
        switch (message)
        {
            case GetBalance when MustVerifyReads:
                // Only the database may say what the balance is: answered by a load that starts now, after the read came.
                (_readers ??= new List<IActorRef>(1)).Add(Sender);
                BeginLoading();
                break;
            case GetBalance:
                Sender.Tell(AccountRules.Read(_accountId, _account));
                IdleSender.ReleaseWhenIdle(Context);
                break;
            case ApplyWrite write:
                try
                {
                    HandleWrite(write, Sender, attempt: 1);
                }
                catch (Exception)
                {
                    Sender.Tell(AbandonedCommands.ForWriteInProgress(_accountId, _inFlight?.Sent == true, failed: true));
                    _inFlight = null; // answered here, not again in PreRestart
                    throw;
                }
                break;
            case StopEntity:
                Context.Stop(Self);
                break;
            case var late when IsLate(late):
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void HandleWrite(ApplyWrite cmd, IActorRef replyTo, int attempt)
    {
        StoredWrite? known = null;
        _recent?.TryGet(cmd.IdempotencyKey, out known);
        switch (AccountRules.Decide(_account, cmd, known))
        {
            case WriteDecision.Answer answer:
                replyTo.Tell(answer.Reply);
                if (answer.Reply is WriteAccepted) _env.Metrics.WriteFinished("repeat");
                return;
            case WriteDecision.Commit commit:
                var w = _inFlight = new InFlight(cmd, replyTo, DbRequestIds.Next(), commit.Write, attempt);
                _state = State.Committing;
                if (attempt == 1 && cmd.ProcessingDelay is { } delay && delay > TimeSpan.Zero) Schedule(delay, new DelayElapsed(w.CommitId));
                else SendCommit(w);
                return;
        }
    }

    private void SendCommit(InFlight w)
    {
        w.Sent = true;
        var timeout = _env.Settings.CommitTimeout;
        _env.Db.Tell(new LedgerDbCommands.Commit(w.CommitId, w.Write, Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency)));
        Schedule(timeout, new TimedOut(w.CommitId));
    }

    // ---- Committing: a write (or a refusal) is with the database; reads answer from committed state ----

    private void Committing(object message)
    {
        switch (message)
        {
            case GetBalance when !MustVerifyReads:
                Sender.Tell(AccountRules.Read(_accountId, _account)); // the last committed state: the write in flight is not acknowledged yet
                break;
            case DelayElapsed d when _inFlight?.CommitId == d.CommitId:
                SendCommit(_inFlight);
                break;
            case LedgerDbReplies.CommitDone done when _inFlight?.CommitId == done.CommitId:
                OnCommitted(_inFlight, done.Outcome);
                break;
            case LedgerDbReplies.CommitDropped d when _inFlight?.CommitId == d.CommitId:
                _inFlight.ReplyTo.Tell(new Unavailable(_accountId, d.Reason)); // never started: certainly not applied
                EnterReady();
                break;
            case LedgerDbReplies.Unavailable u when _inFlight?.CommitId == u.RequestId:
                OnOutcomeUnknown(_inFlight, u.Reason);
                break;
            case TimedOut t when _inFlight?.CommitId == t.RequestId:
                OnOutcomeUnknown(_inFlight, "the commit timed out");
                break;
            case var late when IsLate(late):
                break;
            default:
                StashCommand(); // writes and the stop message wait their turn, in order
                break;
        }
    }

    private void OnCommitted(InFlight w, WriteOutcome outcome)
    {
        var cmd = w.Command;
        var resolution = AccountRules.Resolve(cmd, w.Write, outcome, w.Attempt);
        AdoptTruth(resolution.State, resolution.BasisConfirmed);
        if (resolution.Remember is { } stored) (_recent ??= new RecentWrites(_env.Settings.RecentKeys)).Remember(cmd.IdempotencyKey, stored);

        if (resolution.Reply is { } reply)
        {
            w.ReplyTo.Tell(reply);
            if (reply is WriteAccepted accepted)
            {
                _env.Metrics.WriteFinished(outcome is WriteOutcome.Committed ? "applied" : "repeat");
                if (outcome is WriteOutcome.Committed)
                    _env.Logger.LogTraced(cmd.TraceParent, LogLevel.Debug, "{Operation} of {Amount} applied to {AccountId}: balance {Balance}, version {Version}",
                        cmd.Operation, cmd.Amount, _accountId, accepted.Balance, accepted.Version);
            }
            EnterReady();
            return;
        }

        // Another activation wrote this account (a split brain or a late hand-off): take the database's word and decide again.
        _env.Logger.LogTraced(cmd.TraceParent, LogLevel.Warning, "Account {AccountId} was changed elsewhere (expected version {Expected}, found {Found}); deciding {Operation} again",
            _accountId, w.Write.ExpectedVersion, resolution.State.Version, cmd.Operation);
        _inFlight = null;
        HandleWrite(cmd, w.ReplyTo, w.Attempt + 1);
        if (_inFlight is null) EnterReady(); // answered without a new round trip
    }

    /// <summary>The commit may or may not have happened: answer "outcome unknown" (a retry with the same key is safe) and reload.</summary>
    private void OnOutcomeUnknown(InFlight w, string reason)
    {
        _env.Logger.LogTraced(w.Command.TraceParent, LogLevel.Warning, "Write to {AccountId} has an unknown outcome ({Reason}); reloading state", _accountId, reason);
        w.ReplyTo.Tell(new OutcomeUnknown(_accountId, reason));
        _env.Metrics.WriteFinished("unknown");
        _inFlight = null;
        BeginLoading();
    }

    /// <summary>
    /// Takes the database's word: it is the source of truth, even when it is behind a cached snapshot. When the database
    /// recorded a decision on exactly our basis (<paramref name="basisConfirmed"/>), a cached basis was the truth;
    /// otherwise a cached basis that differs was stale, and the cache entry is replaced.
    /// </summary>
    private void AdoptTruth(AccountState truth, bool basisConfirmed = false)
    {
        if (basisConfirmed) SnapshotCacheSync.Confirmed(_env, _accountId, _account, truth);
        else if (_cachedBasis is { } basis) SnapshotCacheSync.ReplaceIfStale(_env, _accountId, basis, truth);
        _cachedBasis = null;
        _account = truth;
        _verified = true;
    }

    /// <summary>Answers and timers that no longer match what the entity waits for: dropped in every state.</summary>
    private static bool IsLate(object message) => message is LedgerDbReplies.CommitDone or LedgerDbReplies.CommitDropped or LedgerDbReplies.Unavailable
        or LedgerDbReplies.AccountLoaded or SnapshotCacheReplies.Lookup or TimedOut or DelayElapsed or IdleSender.Release;

    /// <summary>
    /// Reads go to the database while the state is only a cached basis, while any cluster member is unreachable (then
    /// another activation of this account may exist elsewhere: this node may be the one cut off or frozen), and for a
    /// while after a member was downed (it may still commit before it stops; <see cref="ReachabilitySignal.RecentlyDowned"/>).
    /// </summary>
    private bool MustVerifyReads => !_verified || _env.Reachability.ReadsNeedTheDatabase;

    private void AnswerReaders(IAccountReply reply)
    {
        if (_readers is null) return;
        foreach (var reader in _readers) reader.Tell(reply);
        _readers = null;
    }

    private void StashCommand()
    {
        Stash.Stash();
        _stashed++;
        _env.Metrics.EntityStashChanged(1);
    }

    private void UnstashAll()
    {
        if (_stashed != 0) _env.Metrics.EntityStashChanged(-_stashed); // usually nothing was stashed: no metric to move
        _stashed = 0;
        Stash.UnstashAll();
    }

    /// <summary>The entity's one timer: a timeout or the test delay (an entity waits for one thing at a time).</summary>
    private void Schedule(TimeSpan after, object message)
    {
        _timeout?.Cancel();
        _timeout = Context.System.Scheduler.ScheduleTellOnceCancelable(after, Self, message, Self);
    }
}
