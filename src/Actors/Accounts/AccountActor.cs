using ActorService.Actors.Diagnostics;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Actors.Tracing;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;
using Unavailable = ActorService.Actors.Accounts.AccountReplies.Unavailable;

namespace ActorService.Actors.Accounts;

/// <summary>
/// One account, as an Orleans-style virtual actor: Cluster Sharding activates it on its first message anywhere in
/// the cluster, it loads its state from the database, handles one command at a time (so balances never race) and is
/// passivated by its shard after <c>accounts.passivate-after</c> idle.
/// <para>
/// A write is answered only after the group commit that holds it; meanwhile further writes and the stop message are
/// stashed (reads are answered from committed state), so a hand-off or passivation processes every queued command
/// before the entity stops. It is an <see cref="UntypedActor"/> on purpose: a million of them must be cheap, and
/// <c>ReceiveActor</c> allocates handler tables per instance and per <c>Become</c>. For the same reason its state is a
/// field read by one switch rather than <c>Become</c> (which allocates a closure per call, twice per write), and idle
/// passivation is left to the shard (one timestamp per entity) rather than a receive timeout, which Akka re-schedules
/// on the scheduler's timer wheel after every message: bench/ measured those cancelled timers surviving into gen 1 at
/// 27,000 reads/s and gen-0 collections pausing the node for 100–300 ms each.
/// </para>
/// <para>
/// Activation asks the snapshot cache first. A cached snapshot is only a <em>basis</em>, never the truth: the entity
/// may decide a write on it, because the database applies that write only if the account still has exactly that
/// version and balance (otherwise it answers with the current row and the entity re-decides); but before it answers
/// a read, or rejects a write (insufficient funds, overflow), it loads the account from the database. So a cache hit
/// saves the activation's database read for the common "activate, then write" case, and a stale or missing entry
/// costs one extra round trip, never a wrong answer.
/// </para>
/// </summary>
public sealed class AccountActor : UntypedActor, IWithStash
{
    /// <summary>The largest single amount the API accepts; the entity re-checks it because it trusts no caller.</summary>
    public const long MaxAmount = 1_000_000_000;
    private const int MaxConflictRetries = 3;
    // The cache actor answers within cache.read-timeout; this only covers a reply lost while it restarts.
    private static readonly TimeSpan CacheWait = TimeSpan.FromSeconds(1);
    private const long CacheLookupId = -2;

    private sealed record InFlight(ApplyWrite Command, IActorRef ReplyTo, long CommitId, long NewBalance, int Attempt);
    private sealed record CheckingKey(ApplyWrite Command, IActorRef ReplyTo, IAccountReply RejectionIfUnused);
    private sealed record TimedOut(long CommitId);
    private sealed record DelayElapsed(long CommitId);

    private enum State : byte { Loading, Ready, Committing, Unusable }

    /// <summary>Sent to itself without a sender after a read, so the cell stops holding the reader's reply actor.</summary>
    private sealed class ReleaseSender
    {
        public static readonly ReleaseSender Instance = new();
    }

    private readonly string _accountId;
    private readonly IActorRef _db;
    private readonly IActorRef _cache;
    private readonly AccountSettings _settings;
    private readonly ILogger _logger;
    private long _balance;
    private long _version; // 0: never written
    private bool _verified = true; // false while the state is a cached snapshot the database has not confirmed yet
    private bool _awaitingCache;
    private AccountSnapshot? _cachedBasis;
    private long _commitSeq;
    private RecentWrites? _recent;
    private InFlight? _inFlight;
    private CheckingKey? _checking;
    private ICancelable? _timeout;
    private int _stashed; // mirrored into LedgerMetrics, so the node knows how many commands wait in entities
    private State _state;
    private string? _unusableReason;

    public AccountActor(string accountId, IActorRef db, IActorRef cache, AccountSettings settings, ILogger logger)
    {
        _accountId = accountId;
        _db = db;
        _cache = cache;
        _settings = settings;
        _logger = logger;
    }

    public IStash Stash { get; set; } = null!;

    protected override void PreStart()
    {
        LedgerMetrics.EntityActivated();
        BeginActivation();
    }

    /// <summary>
    /// Normally an entity stops with nothing pending (StopEntity waits behind its queue). If sharding stops it anyway
    /// (the hand-off stopper's deadline), every command it still held is answered "unavailable" at once, so the
    /// HTTP layer retries it at the entity's new home instead of waiting for an Ask timeout.
    /// </summary>
    protected override void PostStop()
    {
        _timeout?.Cancel();
        LedgerMetrics.EntityStashChanged(-_stashed); // the stash is cleared below: its commands leave the count
        _stashed = 0;
        var abandoned = 0;
        var unavailable = new Unavailable(_accountId, "the account was stopped before it could process this command");
        foreach (var envelope in Stash.ClearStash())
        {
            if (envelope.Message is not (ApplyWrite or GetBalance)) continue;
            envelope.Sender.Tell(unavailable);
            abandoned++;
        }
        if (_inFlight is not null || _checking is not null)
        {
            (_inFlight?.ReplyTo ?? _checking!.ReplyTo).Tell(unavailable);
            abandoned++;
        }
        if (abandoned > 0)
        {
            _logger.LogWarning("Account {AccountId} stopped with {Count} commands pending; answered them 'unavailable' so they are retried", _accountId, abandoned);
            LedgerMetrics.EntityCommandsAbandoned(abandoned);
        }
        LedgerMetrics.EntityStopped();
    }

    /// <summary>A write or key check waiting on the database gets an answer before the restart (the failing command itself is answered where it threw).</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        _logger.LogError(reason, "Account {AccountId} failed on {Message}; restarting and reloading its state", _accountId, message.GetType().Name);
        var failed = new Failed(_accountId, "the account actor failed and was restarted");
        _inFlight?.ReplyTo.Tell(failed);
        _checking?.ReplyTo.Tell(failed);
        _inFlight = null;
        _checking = null;
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
        _cache.Tell(new SnapshotCacheCommands.Get(_accountId));
        _timeout?.Cancel();
        _timeout = Context.System.Scheduler.ScheduleTellOnceCancelable(CacheWait, Self, new TimedOut(CacheLookupId), Self);
    }

    private void BeginLoading()
    {
        _awaitingCache = false;
        _state = State.Loading;
        _db.Tell(new LedgerDbCommands.LoadAccount(_accountId));
        StartTimeout(0);
    }

    private void Loading(object message)
    {
        switch (message)
        {
            case SnapshotCacheReplies.Lookup { Snapshot: { } cached } when _awaitingCache:
                _awaitingCache = false;
                LedgerMetrics.CacheLookup("hit");
                _balance = cached.Balance;
                _version = cached.Version;
                _cachedBasis = cached;
                _verified = false;
                EnterReady();
                break;
            case SnapshotCacheReplies.Lookup when _awaitingCache:
            case TimedOut { CommitId: CacheLookupId } when _awaitingCache:
                LedgerMetrics.CacheLookup("miss");
                BeginLoading();
                break;
            case LedgerDbReplies.AccountLoaded loaded when !_awaitingCache:
                AdoptTruth(loaded.Snapshot);
                if (loaded.Snapshot is not null) _cache.Tell(new SnapshotCacheCommands.Put(loaded.Snapshot));
                EnterReady();
                break;
            case LedgerDbReplies.Unavailable u when u.CommitId == 0:
                GiveUp(u.Reason);
                break;
            case TimedOut { CommitId: 0 }:
                GiveUp("loading the account timed out");
                break;
            case LedgerDbReplies.CommitDone or LedgerDbReplies.Unavailable or TimedOut or DelayElapsed or LedgerDbReplies.WriteFound
                or LedgerDbReplies.AccountLoaded or SnapshotCacheReplies.Lookup or ReleaseSender:
                break; // late answers to an earlier incarnation's requests
            default:
                StashCommand();
                break;
        }
    }

    /// <summary>The database cannot load us: answer everything queued, then ask the shard to stop us.</summary>
    private void GiveUp(string reason)
    {
        _timeout?.Cancel();
        _logger.LogWarning("Account {AccountId} cannot load its state: {Reason}; passivating", _accountId, reason);
        _state = State.Unusable;
        _unusableReason = reason;
        UnstashAll();
        Context.Parent.Tell(new Passivate(StopEntity.Instance));
    }

    private void Unusable(object message)
    {
        switch (message)
        {
            case ApplyWrite or GetBalance:
                Sender.Tell(new Unavailable(_accountId, _unusableReason ?? "the account is unusable"));
                break;
            case StopEntity:
                Context.Stop(Self);
                break;
        }
    }

    // ---- Ready: one command at a time ----

    private void EnterReady()
    {
        _timeout?.Cancel();
        _timeout = null; // an idle entity keeps no timer object alive: a million of them must stay small
        _inFlight = null;
        _checking = null;
        _state = State.Ready;
        UnstashAll();
    }

    private void Ready(object message)
    {
        switch (message)
        {
            case GetBalance when !_verified:
            case ApplyWrite write0 when !_verified && WouldReject(write0):
                // Only the database may say what the balance is, or that a write cannot be applied.
                Stash.Stash();
                BeginLoading();
                break;
            case GetBalance get:
                ReplyBalance(get);
                ReleaseSenderWhenIdle();
                break;
            case ReleaseSender:
                break;
            case ApplyWrite write:
                try
                {
                    HandleWrite(write, Sender, attempt: 1);
                }
                catch (Exception)
                {
                    Sender.Tell(new Failed(_accountId, "the account actor failed and was restarted"));
                    throw;
                }
                break;
            case StopEntity:
                Context.Stop(Self);
                break;
            case LedgerDbReplies.CommitDone or LedgerDbReplies.Unavailable or LedgerDbReplies.AccountLoaded or LedgerDbReplies.WriteFound or TimedOut or DelayElapsed
                or SnapshotCacheReplies.Lookup:
                break; // late answers to requests this entity already gave up on
            default:
                Unhandled(message);
                break;
        }
    }

    private bool WouldReject(ApplyWrite cmd) =>
        cmd.Amount is >= 1 and <= MaxAmount &&
        (cmd.Operation == LedgerOperation.Withdraw ? _balance < cmd.Amount : _balance > long.MaxValue - cmd.Amount);

    private void ReplyBalance(GetBalance get) =>
        Sender.Tell(_version == 0 ? new NotFound(_accountId) : new Balance(_accountId, _balance));

    /// <summary>
    /// Akka keeps the sender of the last message in the actor cell until the next message arrives. After a read that is
    /// the Ask's temporary reply actor, with its task and the reply: about 250 B kept by every idle entity, and a
    /// reference from an old object to a young one that made each collection promote the last reply of every entity
    /// read since (bench/ measured gen-1 collections every 0.3 s on reads because of it). A message without a sender
    /// replaces it; it is only sent when nothing else is queued, when it costs a dequeue in the same mailbox run.
    /// </summary>
    private void ReleaseSenderWhenIdle()
    {
        if (Context is ActorCell { Mailbox.MessageQueue.HasMessages: false }) Self.Tell(ReleaseSender.Instance, ActorRefs.NoSender);
    }

    private void HandleWrite(ApplyWrite cmd, IActorRef replyTo, int attempt)
    {
        // The HTTP layer validated these; a command that breaks them is a bug upstream, i.e. a poison message.
        if (cmd.Amount is < 1 or > MaxAmount) throw new ArgumentOutOfRangeException(nameof(cmd), cmd.Amount, "amount outside 1..1,000,000,000");
        if (string.IsNullOrEmpty(cmd.IdempotencyKey)) throw new ArgumentException("a write needs an idempotency key", nameof(cmd));

        if (_recent is not null && _recent.TryGet(cmd.IdempotencyKey, out var prior))
        {
            replyTo.Tell(Repeat(cmd, prior));
            return;
        }

        long newBalance;
        if (cmd.Operation == LedgerOperation.Withdraw)
        {
            if (_balance < cmd.Amount)
            {
                CheckKeyBeforeRejecting(cmd, replyTo, new InsufficientFunds(_accountId, _balance, cmd.Amount));
                return;
            }
            newBalance = _balance - cmd.Amount;
        }
        else
        {
            if (_balance > long.MaxValue - cmd.Amount)
            {
                CheckKeyBeforeRejecting(cmd, replyTo, new BalanceOverflow(_accountId, _balance, cmd.Amount));
                return;
            }
            newBalance = _balance + cmd.Amount;
        }

        var commitId = ++_commitSeq;
        _inFlight = new InFlight(cmd, replyTo, commitId, newBalance, attempt);
        _state = State.Committing;
        if (cmd.ProcessingDelay is { } delay && delay > TimeSpan.Zero)
        {
            _timeout?.Cancel();
            _timeout = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, new DelayElapsed(commitId), Self);
        }
        else
            SendCommit(_inFlight);
    }

    private void SendCommit(InFlight w)
    {
        _db.Tell(new LedgerDbCommands.Commit(w.CommitId,
            new PendingWrite(_accountId, w.Command.Operation, w.Command.Amount, w.Command.IdempotencyKey, _version, w.NewBalance)));
        StartTimeout(w.CommitId);
    }

    /// <summary>
    /// A rejection (insufficient funds, overflow) must not hide an earlier success: if this key was already applied
    /// by another activation, the repeat gets the original outcome. Rare, so it may cost a read.
    /// </summary>
    private void CheckKeyBeforeRejecting(ApplyWrite cmd, IActorRef replyTo, IAccountReply rejection)
    {
        _checking = new CheckingKey(cmd, replyTo, rejection);
        _state = State.Committing;
        _db.Tell(new LedgerDbCommands.FindWrite(_accountId, cmd.IdempotencyKey));
        StartTimeout(-1);
    }

    // ---- Committing: a write (or a key check) is with the database; reads answer from committed state ----

    private void Committing(object message)
    {
        switch (message)
        {
            case GetBalance get:
                ReplyBalance(get);
                break;
            case DelayElapsed d when _inFlight?.CommitId == d.CommitId:
                SendCommit(_inFlight);
                break;
            case LedgerDbReplies.CommitDone done when _inFlight?.CommitId == done.CommitId:
                OnCommitted(_inFlight, done.Outcome);
                break;
            case LedgerDbReplies.WriteFound found when _checking is { } check && found.IdempotencyKey == check.Command.IdempotencyKey:
                check.ReplyTo.Tell(found.Write is null ? check.RejectionIfUnused : Repeat(check.Command, found.Write));
                if (found.Write is not null) Remember(check.Command.IdempotencyKey, found.Write);
                EnterReady();
                break;
            case LedgerDbReplies.Unavailable u when _checking is not null && u.CommitId == 0:
                _checking.ReplyTo.Tell(new Unavailable(_accountId, u.Reason));
                EnterReady();
                break;
            case TimedOut { CommitId: -1 } when _checking is not null:
                _checking.ReplyTo.Tell(new Unavailable(_accountId, "the idempotency check timed out"));
                EnterReady();
                break;
            case LedgerDbReplies.Unavailable u when _inFlight?.CommitId == u.CommitId:
                OnOutcomeUnknown(_inFlight, u.Reason);
                break;
            case TimedOut t when _inFlight?.CommitId == t.CommitId:
                OnOutcomeUnknown(_inFlight, "the commit timed out");
                break;
            case LedgerDbReplies.CommitDone or LedgerDbReplies.Unavailable or LedgerDbReplies.AccountLoaded or LedgerDbReplies.WriteFound or TimedOut or DelayElapsed
                or SnapshotCacheReplies.Lookup or ReleaseSender:
                break;
            default:
                StashCommand(); // writes and the stop message wait their turn, in order
                break;
        }
    }

    private void OnCommitted(InFlight w, WriteOutcome outcome)
    {
        var cmd = w.Command;
        switch (outcome)
        {
            case WriteOutcome.Committed c:
                // The database applied it on exactly our basis, so a cached basis is now confirmed too.
                _balance = w.NewBalance;
                _version = c.NewVersion;
                _verified = true;
                _cachedBasis = null;
                Remember(cmd.IdempotencyKey, new StoredWrite(cmd.Operation, cmd.Amount, w.NewBalance));
                _cache.Tell(new SnapshotCacheCommands.Put(new AccountSnapshot(_accountId, _balance, _version)));
                w.ReplyTo.Tell(new WriteAccepted(_accountId, _balance, Applied: true));
                LedgerMetrics.WriteFinished("applied");
                Log(cmd.TraceParent, LogLevel.Debug, "{Operation} of {Amount} applied to {AccountId}: balance {Balance}, version {Version}",
                    cmd.Operation, cmd.Amount, _accountId, _balance, _version);
                EnterReady();
                break;
            case WriteOutcome.Duplicate d:
                AdoptTruth(d.Current);
                Remember(cmd.IdempotencyKey, d.Original);
                w.ReplyTo.Tell(Repeat(cmd, d.Original));
                EnterReady();
                break;
            case WriteOutcome.VersionConflict v:
                // Another activation wrote this account (a split brain or a late hand-off): take the database's word and re-decide.
                Log(cmd.TraceParent, LogLevel.Warning, "Account {AccountId} was changed elsewhere (expected version {Expected}, found {Found}); re-applying {Operation}",
                    _accountId, _version, v.Current?.Version ?? 0, cmd.Operation);
                AdoptTruth(v.Current);
                if (w.Attempt >= MaxConflictRetries)
                {
                    w.ReplyTo.Tell(new Unavailable(_accountId, "the account kept changing under concurrent writers"));
                    EnterReady();
                    return;
                }
                _inFlight = null;
                HandleWrite(cmd, w.ReplyTo, w.Attempt + 1);
                if (_inFlight is null && _checking is null) EnterReady(); // answered without a new round trip
                break;
        }
    }

    /// <summary>The commit may or may not have happened: answer "unavailable" (a retry with the same key is safe) and reload.</summary>
    private void OnOutcomeUnknown(InFlight w, string reason)
    {
        Log(w.Command.TraceParent, LogLevel.Warning, "Write to {AccountId} has an unknown outcome ({Reason}); reloading state", _accountId, reason);
        w.ReplyTo.Tell(new Unavailable(_accountId, reason));
        LedgerMetrics.WriteFinished("unknown");
        _inFlight = null;
        BeginLoading();
    }

    private IAccountReply Repeat(ApplyWrite cmd, StoredWrite original)
    {
        if (original.Operation != cmd.Operation || original.Amount != cmd.Amount)
            return new KeyReused(_accountId, cmd.IdempotencyKey, original.Operation, original.Amount);
        // A key the node minted belongs to one client request: its earlier attempt applied the write, so for that
        // client the request was applied. A client's own key repeated is reported as not applied again.
        LedgerMetrics.WriteFinished("repeat");
        return new WriteAccepted(_accountId, original.BalanceAfter, Applied: cmd.KeyMinted);
    }

    private void Remember(string key, StoredWrite write) =>
        (_recent ??= new RecentWrites(_settings.RecentKeys)).Remember(key, write);

    /// <summary>
    /// Takes the database's word (it is the source of truth, even when it is behind a cached snapshot). If the state
    /// came from the cache and the database disagrees, the cached entry was stale: it is replaced.
    /// </summary>
    private void AdoptTruth(AccountSnapshot? snapshot)
    {
        if (_cachedBasis is { } basis)
        {
            var same = snapshot is not null && snapshot.Balance == basis.Balance && snapshot.Version == basis.Version;
            if (!same)
            {
                LedgerMetrics.CacheLookup("stale");
                _logger.LogDebug("Cached snapshot of {AccountId} was stale (version {Cached}, database {Database})", _accountId, basis.Version, snapshot?.Version ?? 0);
                _cache.Tell(new SnapshotCacheCommands.Remove(_accountId));
                if (snapshot is not null) _cache.Tell(new SnapshotCacheCommands.Put(snapshot));
            }
            _cachedBasis = null;
        }
        _balance = snapshot?.Balance ?? 0;
        _version = snapshot?.Version ?? 0;
        _verified = true;
    }

    private void StashCommand()
    {
        Stash.Stash();
        _stashed++;
        LedgerMetrics.EntityStashChanged(1);
    }

    private void UnstashAll()
    {
        if (_stashed != 0) LedgerMetrics.EntityStashChanged(-_stashed); // usually nothing was stashed: no metric to move
        _stashed = 0;
        Stash.UnstashAll();
    }

    private void StartTimeout(long commitId)
    {
        _timeout?.Cancel();
        _timeout = Context.System.Scheduler.ScheduleTellOnceCancelable(_settings.CommitTimeout, Self, new TimedOut(commitId), Self);
    }

    private void Log(string? traceParent, LogLevel level, string template, params object?[] args)
    {
        if (!_logger.IsEnabled(level)) return;
        using var _ = TraceRestore.From(traceParent, "account");
#pragma warning disable CA2254 // the template is a constant at every call site
        _logger.Log(level, template, args);
#pragma warning restore CA2254
    }

    public static Props Props(string accountId, IActorRef db, IActorRef cache, AccountSettings settings, ILogger? logger = null) =>
        Akka.Actor.Props.CreateBy(new Producer(accountId, db, cache, settings, logger ?? NullLogger.Instance));

    /// <summary>
    /// One <see cref="Akka.Actor.Props"/> for every entity of the shard region: each entity takes its account id from its
    /// actor name, which sharding sets to the (escaped) entity id. An expression-built Props per activation cost a
    /// Props, an argument array and an expression tree each, and Akka compiled the expression's <c>??</c> argument into a
    /// delegate at every activation (bench/ measured activations at 2,000/s with it).
    /// </summary>
    public static Props ForShardRegion(IActorRef db, IActorRef cache, AccountSettings settings, ILogger logger) =>
        Akka.Actor.Props.CreateBy(new Producer(null, db, cache, settings, logger));

    private sealed class Producer(string? accountId, IActorRef db, IActorRef cache, AccountSettings settings, ILogger logger) : IIndirectActorProducer
    {
        public Type ActorType => typeof(AccountActor);

        public ActorBase Produce() =>
            new AccountActor(accountId ?? Uri.UnescapeDataString(Context.Self.Path.Name), db, cache, settings, logger);

        public void Release(ActorBase actor) { }
    }
}

/// <summary>Registers the account shard region with Akka.Hosting.</summary>
public static class AccountShardingSetup
{
    public const string TypeName = "account";

    public static AkkaConfigurationBuilder WithAccountSharding(this AkkaConfigurationBuilder builder, AccountSettings settings) =>
        builder.WithSchedulerStarted().WithEntityMailbox().WithShardRegion<AccountRegion>(TypeName,
            (_, registry, resolver) =>
            {
                var db = registry.Get<LedgerDb>();
                var cache = registry.Get<SnapshotCache>();
                var logger = resolver.GetService<ILoggerFactory>().CreateLogger<AccountActor>();
                // The counting mailbox gives the node its entity mailbox depth (a metric and the drain samples).
                var props = AccountActor.ForShardRegion(db, cache, settings, logger).WithMailbox(EntityMailbox.ConfigPath);
                return _ => props;
            },
            new AccountMessageExtractor(settings.ShardCount),
            new ShardOptions
            {
                HandOffStopMessage = StopEntity.Instance,
                RememberEntities = false,
                // The shard sends StopEntity to an entity that got no message for this long (checked every half of it).
                PassivateIdleEntityAfter = settings.PassivateAfter,
            });
}
