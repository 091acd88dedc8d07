using ActorService.Actors.Resources.Db;

namespace ActorService.Actors.Resources.Cache;

/// <summary>
/// A cache-aside copy of account snapshots. Never the truth: an entry is used only when its version matches what
/// the database says, and every failure of the cache degrades to "miss".
/// </summary>
public interface ISnapshotCache : IAsyncDisposable
{
    string Backend { get; }
    Task<AccountSnapshot?> GetAsync(string accountId);
    /// <summary>Stores the snapshot unless the cache already holds a newer version.</summary>
    Task PutAsync(AccountSnapshot snapshot);
    Task RemoveAsync(string accountId);
}
