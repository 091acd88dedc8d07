using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.Hosting;

namespace ActorService.Actors.Diagnostics;

/// <summary>
/// The account entities' mailbox: Akka's unbounded deque mailbox (the stash needs <c>EnqueueFirst</c>) that also keeps
/// the node-wide count of messages waiting in entity mailboxes (<see cref="LedgerMetrics.EntityMailboxDepth"/>).
/// <para>
/// Why a counting mailbox rather than sampling: polling <c>Mailbox.NumberOfMessages</c> of every entity would walk up
/// to a million actors per sample; here each message costs two interlocked additions on one shared counter, and
/// reading the depth (a scrape, a drain sample every 100 ms) costs nothing.
/// </para>
/// </summary>
public sealed class EntityMailbox(Akka.Actor.Settings settings, Akka.Configuration.Config config)
    : MailboxType(settings, config), IProducesMessageQueue<EntityMailbox.CountingQueue>
{
    /// <summary>Config path of the mailbox; entity props select it with <c>WithMailbox</c>.</summary>
    public const string ConfigPath = "actor-service-entity-mailbox";

    /// <summary>Registered as a fallback by the sharding setup, so any host that runs the entities has it.</summary>
    public static readonly string Hocon = $"{ConfigPath} {{ mailbox-type = \"{typeof(EntityMailbox).FullName}, {typeof(EntityMailbox).Assembly.GetName().Name}\" }}";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingQueue();

    /// <summary>
    /// Wraps <see cref="UnboundedDequeMessageQueue"/>. Its own count goes negative once cleaned up, so a message that
    /// races into a dead entity's queue after clean-up is not counted forever.
    /// </summary>
    public sealed class CountingQueue : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
    {
        private const int Closed = int.MinValue / 2;
        private readonly UnboundedDequeMessageQueue _inner = new();
        private int _count;

        public bool HasMessages => _inner.HasMessages;
        public int Count => _inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            _inner.Enqueue(receiver, envelope);
            Added();
        }

        public void EnqueueFirst(Envelope envelope)
        {
            _inner.EnqueueFirst(envelope);
            Added();
        }

        public bool TryDequeue(out Envelope envelope)
        {
            if (!_inner.TryDequeue(out envelope)) return false;
            if (Interlocked.Decrement(ref _count) >= 0) LedgerMetrics.EntityMailboxChanged(-1);
            return true;
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            var left = Interlocked.Exchange(ref _count, Closed);
            if (left > 0) LedgerMetrics.EntityMailboxChanged(-left);
            _inner.CleanUp(owner, deadletters);
        }

        private void Added()
        {
            if (Interlocked.Increment(ref _count) > 0) LedgerMetrics.EntityMailboxChanged(1);
        }
    }
}

/// <summary>Registers <see cref="EntityMailbox"/> with Akka.Hosting.</summary>
public static class EntityMailboxSetup
{
    public static AkkaConfigurationBuilder WithEntityMailbox(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(EntityMailbox.Hocon, HoconAddMode.Append);
}
