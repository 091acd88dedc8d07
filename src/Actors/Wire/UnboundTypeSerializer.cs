using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace ActorService.Actors.Wire;

/// <summary>
/// The serializer of last resort: hocon.conf names it <c>json</c>, the name Akka binds <c>System.Object</c> to, so it
/// takes the place of Akka's Newtonsoft JSON, which writes .NET type names and builds on arrival whatever type the sender
/// named. It refuses both ways: sending a message type nobody bound fails (Akka.Remote logs it and drops that one
/// message; the association stays), is logged here with the type to bind, and counted (<c>reason=unbound-type</c>); a
/// payload that claims this serializer's id is refused on arrival. Akka's own messages are unaffected: each of Akka's
/// modules binds its message types to its own serializer.
/// </summary>
public sealed class UnboundTypeSerializer(ExtendedActorSystem system) : Serializer(system), IWireRejectionSource
{
    /// <summary>Fixed for good: a node reads the serializer of a payload by this number.</summary>
    public const int Id = 4100;

    /// <summary>
    /// The constructor Akka calls: akka.actor.serialization-settings.json (Newtonsoft's settings, in Akka's reference
    /// configuration) exists, so Akka passes it to whatever serializer is named json. Nothing in it applies here.
    /// </summary>
    public UnboundTypeSerializer(ExtendedActorSystem system, Akka.Configuration.Config newtonsoftSettings) : this(system) { }

    private ILoggingAdapter? _log;

    public override int Identifier => Id;

    public override bool IncludeManifest => false;

    public string WireName => "unbound";

    public WireRejections Rejections { get; } = new("unbound", WireRejection.UnboundType);

    // Akka's logging is set up after its serializers are created: looked up at the first refusal.
    private ILoggingAdapter Log => _log ??= Logging.GetLogger(system, GetType());

    public override byte[] ToBinary(object obj)
    {
        Rejections.Count(WireRejection.UnboundType);
        Log.Error("Wire: refused to send a {0}: no serializer of ours is bound to this type (hocon.conf, " +
                  "akka.actor.serialization-bindings) and the JSON fallback is off; the message is dropped", obj.GetType());
        throw new SerializationException($"{obj.GetType()} has no serializer binding (hocon.conf akka.actor.serialization-bindings); the JSON fallback is off");
    }

    public override object FromBinary(byte[] bytes, Type? type)
    {
        Rejections.Count(WireRejection.UnboundType);
        Log.Warning("Wire: refused a payload for the refusing serializer (id {0}, {1} bytes); it is dropped", Id, bytes.Length);
        throw new SerializationException($"serializer id {Id} reads nothing: it is the refusal of unbound types");
    }
}
