using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.Hosting;

namespace ActorService.Actors.Diagnostics;

/// <summary>
/// The account entities' mailbox: an unbounded deque (the stash needs <c>EnqueueFirst</c>) small enough for a million
/// idle entities, that also keeps the node's count of messages waiting in entity mailboxes
/// (<see cref="LedgerMetrics.EntityMailboxDepth"/>).
/// <para>
/// Why a counting mailbox rather than sampling: polling <c>Mailbox.NumberOfMessages</c> of every entity would walk up
/// to a million actors per sample; here each message costs two interlocked additions on one counter of the node, and
/// reading the depth (a scrape, a drain sample every 100 ms) costs nothing. Akka creates this type from configuration,
/// once per ActorSystem, so it finds the node's <see cref="LedgerMetrics"/> through the system
/// (<see cref="LedgerMetrics.For"/>) when it creates the first queue, and hands it to every queue.
/// </para>
/// </summary>
public sealed class EntityMailbox(Akka.Actor.Settings settings, Akka.Configuration.Config config)
    : MailboxType(settings, config), IProducesMessageQueue<EntityMailbox.CountingQueue>
{
    /// <summary>Config path of the mailbox; entity props select it with <c>WithMailbox</c>.</summary>
    public const string ConfigPath = "actor-service-entity-mailbox";

    /// <summary>Registered as a fallback by the sharding setup, so any host that runs the entities has it.</summary>
    public static readonly string Hocon = $"{ConfigPath} {{ mailbox-type = \"{typeof(EntityMailbox).FullName}, {typeof(EntityMailbox).Assembly.GetName().Name}\" }}";

    private LedgerMetrics? _metrics; // looked up once: a racing first activation finds the same instance

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingQueue(_metrics ??= LedgerMetrics.For(system));

    /// <summary>
    /// A small double-ended queue under a lock, sized for an entity: most hold zero to a few messages, and a million
    /// of them are idle at once. Akka's unbounded deque mailbox costs about 1.1 KB per actor even when empty (a
    /// ConcurrentQueue with its first 32-slot segment, a wrapper, a prepend stack); bench/ measured it as a third of the
    /// memory of an idle entity. This one is four fields and a 4-slot ring allocated on the first message, which grows
    /// when an entity falls behind and is dropped again when it catches up. Producers (any thread) and the consumer
    /// (the entity's mailbox run, which is also the only caller of <see cref="EnqueueFirst"/>, when unstashing) take
    /// the lock for a few instructions; an entity's mailbox is rarely contended.
    /// <para>
    /// It also keeps the node's count of messages waiting in entity mailboxes: every message in an open queue is
    /// counted. Clean-up takes the queue's messages out of the count and forgets the counter, so a message that races
    /// into a dead entity's queue afterwards is kept out of it.
    /// </para>
    /// </summary>
    public sealed class CountingQueue(LedgerMetrics metrics) : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
    {
        private const int InitialCapacity = 4;
        private const int KeepCapacity = 16; // an emptied ring larger than this is released
        private Envelope[]? _ring;
        private LedgerMetrics? _metrics = metrics; // null once cleaned up: nothing here is counted any more
        private int _head, _size;

        public bool HasMessages => Volatile.Read(ref _size) > 0;
        public int Count => Volatile.Read(ref _size);

        public void Enqueue(IActorRef receiver, Envelope envelope) => Add(envelope, first: false);

        public void EnqueueFirst(Envelope envelope) => Add(envelope, first: true);

        public bool TryDequeue(out Envelope envelope)
        {
            LedgerMetrics? counted;
            lock (this) // the queue is private to its mailbox: nothing else can lock on it
            {
                if (_size == 0)
                {
                    envelope = default;
                    return false;
                }
                var ring = _ring!;
                envelope = ring[_head];
                ring[_head] = default; // the queue must not keep a delivered message (or its sender) alive
                _head = (_head + 1) % ring.Length;
                Volatile.Write(ref _size, _size - 1);
                if (_size == 0 && ring.Length > KeepCapacity) (_ring, _head) = (null, 0);
                counted = _metrics;
            }
            counted?.EntityMailboxChanged(-1);
            return true;
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            LedgerMetrics? counted;
            int left;
            lock (this)
            {
                counted = _metrics;
                _metrics = null;
                left = _size;
            }
            if (left > 0) counted?.EntityMailboxChanged(-left);
            while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        }

        private void Add(Envelope envelope, bool first)
        {
            LedgerMetrics? counted;
            lock (this)
            {
                var ring = _ring ??= new Envelope[InitialCapacity];
                if (_size == ring.Length) ring = Grow(ring);
                if (first)
                {
                    _head = (_head - 1 + ring.Length) % ring.Length;
                    ring[_head] = envelope;
                }
                else ring[(_head + _size) % ring.Length] = envelope;
                Volatile.Write(ref _size, _size + 1);
                counted = _metrics;
            }
            counted?.EntityMailboxChanged(1);
        }

        private Envelope[] Grow(Envelope[] ring)
        {
            var bigger = new Envelope[ring.Length * 2];
            for (var i = 0; i < _size; i++) bigger[i] = ring[(_head + i) % ring.Length];
            _head = 0;
            return _ring = bigger;
        }
    }
}

/// <summary>Registers <see cref="EntityMailbox"/> with Akka.Hosting.</summary>
public static class EntityMailboxSetup
{
    public static AkkaConfigurationBuilder WithEntityMailbox(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(EntityMailbox.Hocon, HoconAddMode.Append);
}
