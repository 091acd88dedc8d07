using System.Diagnostics;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;

namespace ActorService.Actors.Resources.Cache;

/// <summary>Requests to the snapshot cache actor.</summary>
public static class SnapshotCacheCommands
{
    /// <summary>Replies <see cref="SnapshotCacheReplies.Lookup"/>; a failing or slow backend (past <c>cache.read-timeout</c>) answers a miss.</summary>
    public sealed record Get(string AccountId);

    /// <summary>Fire and forget: entities never wait for the cache.</summary>
    public sealed record Put(AccountSnapshot Snapshot);

    public sealed record Remove(string AccountId);
}

public static class SnapshotCacheReplies
{
    public sealed record Lookup(string AccountId, AccountSnapshot? Snapshot);
}

/// <summary>
/// Owns the snapshot cache backend. Every backend failure is logged and treated as a miss: the cache may make
/// the node faster, never wrong and never unavailable. After <see cref="ResourceCommands.Close"/> gets answer misses
/// and puts are dropped.
/// </summary>
public sealed class SnapshotCacheActor : ReceiveActor
{
    private sealed record PutFailed(string AccountId, Exception Error);

    private readonly ISnapshotCache _cache;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _failures;

    public SnapshotCacheActor(ISnapshotCache cache, TimeSpan readTimeout)
    {
        _cache = cache;
        Receive<SnapshotCacheCommands.Get>(m =>
        {
            var replyTo = Sender;
            var self = Self;
            Task<AccountSnapshot?> lookup;
            try { lookup = _cache.GetAsync(m.AccountId); }
            catch (Exception e) { lookup = Task.FromException<AccountSnapshot?>(e); }
            // An entity waits for this answer before it activates: a slow cache must cost at most the read timeout.
            lookup.WaitAsync(readTimeout).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) return new SnapshotCacheReplies.Lookup(m.AccountId, t.Result);
                self.Tell(new PutFailed(m.AccountId, t.Exception?.GetBaseException() ?? new TimeoutException("cache read timed out")));
                return new SnapshotCacheReplies.Lookup(m.AccountId, null);
            }, TaskScheduler.Default).PipeTo(replyTo);
        });
        Receive<SnapshotCacheCommands.Put>(m => Observe(m.Snapshot.AccountId, () => _cache.PutAsync(m.Snapshot)));
        Receive<SnapshotCacheCommands.Remove>(m => Observe(m.AccountId, () => _cache.RemoveAsync(m.AccountId)));
        Receive<PutFailed>(m =>
        {
            _failures++;
            // Debug, not warning: while Redis is down this happens for every write, and the node is still correct.
            _log.Debug("Snapshot cache ({Backend}) failed for {AccountId}; treated as a miss: {Error}", _cache.Backend, m.AccountId, m.Error.Message);
        });
        Receive<ResourceCommands.Close>(_ =>
        {
            var started = Stopwatch.GetTimestamp();
            var replyTo = Sender;
            var detail = $"{_cache.Backend}: {_failures} backend failures since start";
            Become(Closed);
            _cache.DisposeAsync().AsTask().ContinueWith(
                _ => new ResourceReplies.Closed("cache", Stopwatch.GetElapsedTime(started), detail), TaskScheduler.Default)
                .PipeTo(replyTo);
        });
    }

    private void Closed()
    {
        Receive<SnapshotCacheCommands.Get>(m => Sender.Tell(new SnapshotCacheReplies.Lookup(m.AccountId, null)));
        Receive<ResourceCommands.Close>(_ => Sender.Tell(new ResourceReplies.Closed("cache", TimeSpan.Zero, "already closed")));
        ReceiveAny(_ => { });
    }

    private void Observe(string accountId, Func<Task> start)
    {
        Task operation;
        try { operation = start(); }
        catch (Exception e) { operation = Task.FromException(e); }
        if (operation.IsCompletedSuccessfully) return;
        var self = Self;
        operation.ContinueWith(t =>
        {
            if (t.IsFaulted) self.Tell(new PutFailed(accountId, t.Exception!.GetBaseException()));
        }, TaskScheduler.Default);
    }

    public static Props Props(ISnapshotCache cache, TimeSpan? readTimeout = null) =>
        Akka.Actor.Props.Create(() => new SnapshotCacheActor(cache, readTimeout ?? TimeSpan.FromMilliseconds(200)));
}

/// <summary>Registers the snapshot cache actor with Akka.Hosting, under a restart-with-backoff supervisor.</summary>
public static class SnapshotCacheSetup
{
    /// <summary>With a backend that is already open (tests, embedded hosts).</summary>
    public static AkkaConfigurationBuilder WithSnapshotCache(this AkkaConfigurationBuilder builder, ISnapshotCache cache, TimeSpan? readTimeout = null) =>
        builder.WithSnapshotCache(() => cache, readTimeout ?? TimeSpan.FromMilliseconds(200));

    /// <param name="cache">Called when the ActorSystem starts: the backend may be opened after the host was built.</param>
    public static AkkaConfigurationBuilder WithSnapshotCache(this AkkaConfigurationBuilder builder, Func<ISnapshotCache> cache, TimeSpan readTimeout) =>
        builder.WithActors((system, registry) =>
            registry.Register<SnapshotCache>(system.ActorOf(
                Supervision.Strategies.RestartResourceWithBackoff(SnapshotCacheActor.Props(cache(), readTimeout), "cache"), "snapshot-cache")));
}
