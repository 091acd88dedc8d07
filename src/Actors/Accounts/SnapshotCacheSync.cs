using ActorService.Actors.Diagnostics;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Keeps the snapshot cache in step with what an entity learns from the database. The cache is only ever a basis for
/// decisions the database checks, so every update here is a plain tell: a lost one costs a later activation one
/// extra round trip, never a wrong answer.
/// </summary>
internal static class SnapshotCacheSync
{
    /// <summary>The database loaded the account: cache it (an account never written has nothing to cache).</summary>
    public static void Loaded(AccountEnvironment env, AccountSnapshot? snapshot)
    {
        if (snapshot is not null) env.Cache.Tell(new SnapshotCacheCommands.Put(snapshot));
    }

    /// <summary>The database recorded a decision on the entity's basis: cache the account as it is now, if that changed it.</summary>
    public static void Confirmed(AccountEnvironment env, string accountId, AccountState before, AccountState now)
    {
        if (now != before && now.ToSnapshot(accountId) is { } snapshot) env.Cache.Tell(new SnapshotCacheCommands.Put(snapshot));
    }

    /// <summary>
    /// The database's word differs from the cached snapshot the entity started from: the entry was stale, so it is
    /// replaced (or removed, when the database has no such account).
    /// </summary>
    public static void ReplaceIfStale(AccountEnvironment env, string accountId, AccountSnapshot basis, AccountState truth)
    {
        if (truth.Balance == basis.Balance && truth.Version == basis.Version) return;
        env.Metrics.CacheLookup("stale");
        env.Logger.LogDebug("Cached snapshot of {AccountId} was stale (version {Cached}, database {Database})", accountId, basis.Version, truth.Version);
        env.Cache.Tell(new SnapshotCacheCommands.Remove(accountId));
        if (truth.ToSnapshot(accountId) is { } snapshot) env.Cache.Tell(new SnapshotCacheCommands.Put(snapshot));
    }

}
