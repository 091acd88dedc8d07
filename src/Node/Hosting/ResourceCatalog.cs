using ActorService.Actors;

namespace ActorService.Node.Hosting;

/// <summary>
/// The names <c>actor-service.drain.close-order</c> may use, and the registry key of each resource actor.
/// A name not listed here is a configuration error at start, not a surprise at shutdown.
/// </summary>
internal static class ResourceCatalog
{
    public static readonly IReadOnlyDictionary<string, Type> Keys = new Dictionary<string, Type>
    {
        ["events"] = typeof(EventPublisher),
        ["cache"] = typeof(SnapshotCache),
        ["db"] = typeof(LedgerDb),
    };
}
