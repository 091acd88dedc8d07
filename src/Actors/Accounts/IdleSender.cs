using Akka.Actor;

namespace ActorService.Actors.Accounts;

/// <summary>
/// Akka keeps the sender of the last message in the actor cell until the next message arrives. After a read that is
/// the Ask's temporary reply actor, with its task and the reply: about 250 B kept by every idle entity, and a
/// reference from an old object to a young one that made each collection promote the last reply of every entity
/// read since (bench/ measured gen-1 collections every 0.3 s on reads because of it). A message without a sender
/// replaces it; it is only sent when nothing else is queued, when it costs a dequeue in the same mailbox run.
/// </summary>
internal static class IdleSender
{
    /// <summary>The message that replaces the last sender; the entity ignores it in every state.</summary>
    public sealed class Release
    {
        public static readonly Release Instance = new();
        private Release() { }
    }

    /// <summary>Sends <see cref="Release"/> to the actor itself, without a sender, when its mailbox is empty.</summary>
    public static void ReleaseWhenIdle(IActorContext context)
    {
        if (context is ActorCell { Mailbox.MessageQueue.HasMessages: false }) context.Self.Tell(Release.Instance, ActorRefs.NoSender);
    }
}
