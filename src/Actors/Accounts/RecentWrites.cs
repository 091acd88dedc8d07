using ActorService.Actors.Resources.Db;

namespace ActorService.Actors.Accounts;

/// <summary>
/// The last few idempotency keys an active entity committed, so a retry that lands on the same activation is
/// answered without a database round trip. Small and allocated on first write: a million idle entities must stay cheap.
/// The database remains the authority; this is only a shortcut.
/// </summary>
internal sealed class RecentWrites(int capacity)
{
    private readonly Dictionary<string, StoredWrite> _byKey = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public bool TryGet(string key, out StoredWrite write) => _byKey.TryGetValue(key, out write!);

    public void Remember(string key, StoredWrite write)
    {
        if (capacity <= 0 || !_byKey.TryAdd(key, write)) return;
        _order.Enqueue(key);
        if (_order.Count > capacity) _byKey.Remove(_order.Dequeue());
    }
}
