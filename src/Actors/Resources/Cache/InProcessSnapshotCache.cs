using ActorService.Actors.Resources.Db;

namespace ActorService.Actors.Resources.Cache;

/// <summary>
/// The embedded default: a bounded least-recently-used map inside the node. Only the cache actor touches it,
/// so it needs no locking.
/// </summary>
public sealed class InProcessSnapshotCache(int capacity) : ISnapshotCache
{
    private readonly Dictionary<string, LinkedListNode<AccountSnapshot>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<AccountSnapshot> _recency = new();

    public string Backend => "in-process";
    public int Count => _index.Count;

    public Task<AccountSnapshot?> GetAsync(string accountId)
    {
        if (!_index.TryGetValue(accountId, out var node)) return Task.FromResult<AccountSnapshot?>(null);
        _recency.Remove(node);
        _recency.AddFirst(node);
        return Task.FromResult<AccountSnapshot?>(node.Value);
    }

    public Task PutAsync(AccountSnapshot snapshot)
    {
        if (_index.TryGetValue(snapshot.AccountId, out var node))
        {
            if (node.Value.Version >= snapshot.Version) return Task.CompletedTask;
            _recency.Remove(node);
        }
        else if (_index.Count >= capacity && _recency.Last is { } oldest)
        {
            _recency.RemoveLast();
            _index.Remove(oldest.Value.AccountId);
        }
        _index[snapshot.AccountId] = _recency.AddFirst(snapshot);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string accountId)
    {
        if (_index.Remove(accountId, out var node)) _recency.Remove(node);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _index.Clear();
        _recency.Clear();
        return ValueTask.CompletedTask;
    }
}
