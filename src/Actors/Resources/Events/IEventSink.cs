namespace ActorService.Actors.Resources.Events;

/// <summary>Where ledger events go. <see cref="PublishAsync"/> returns only once the sink confirmed every event.</summary>
public interface IEventSink : IAsyncDisposable
{
    /// <summary>"file" or "redis-stream"; shows up in logs and the shutdown report.</summary>
    string Backend { get; }

    /// <summary>A description safe to log (path or stream key, never a password).</summary>
    string Where { get; }

    /// <summary>Writes the events, in order; throws if any of them was not confirmed (then they are shipped again).</summary>
    Task PublishAsync(IReadOnlyList<OutboxEvent> events, CancellationToken ct);
}
