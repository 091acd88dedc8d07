namespace ActorService.Actors.Resources;

/// <summary>Lifecycle messages every resource actor (db, cache, events) understands.</summary>
public static class ResourceCommands
{
    /// <summary>
    /// Finish queued work (flush), release the underlying connections and refuse everything after.
    /// Sent by the shutdown plan in the order of <c>actor-service.drain.close-order</c>.
    /// </summary>
    public sealed class Close
    {
        public static readonly Close Instance = new();
        private Close() { }
    }
}

public static class ResourceReplies
{
    /// <summary>The resource finished its queued work and released its connections.</summary>
    public sealed record Closed(string Resource, TimeSpan Took, string Detail);
}
