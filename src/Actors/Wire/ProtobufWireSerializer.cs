using System.Collections.Frozen;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;
using Google.Protobuf;

namespace ActorService.Actors.Wire;

/// <summary>One message type on the wire: its manifest and how it maps to and from its Protobuf message.</summary>
public sealed class WireEntry
{
    private WireEntry(Type type, string manifest, Func<object, byte[]> write, Func<byte[], object> read)
    {
        Type = type;
        Manifest = manifest;
        Write = write;
        Read = read;
    }

    public Type Type { get; }

    /// <summary>The name on the wire, chosen once and never changed: it is all a receiving node goes by.</summary>
    public string Manifest { get; }

    internal Func<object, byte[]> Write { get; }
    internal Func<byte[], object> Read { get; }

    /// <summary>
    /// <typeparamref name="T"/> travels as <typeparamref name="TProto"/> under <paramref name="manifest"/>.
    /// <paramref name="fromProto"/> checks the message's rules (<see cref="MalformedWireMessageException"/>).
    /// </summary>
    public static WireEntry For<T, TProto>(string manifest, MessageParser<TProto> parser, Func<T, TProto> toProto, Func<TProto, T> fromProto)
        where T : notnull where TProto : IMessage<TProto> =>
        new(typeof(T), manifest, o => toProto((T)o).ToByteArray(), bytes => fromProto(parser.ParseFrom(bytes)));
}

/// <summary>
/// Base of the service's wire serializers (hocon.conf, <c>akka.actor.serializers</c>): a fixed table of message type,
/// manifest and Protobuf mapping. The manifest is a short name chosen once, never a .NET type name, so what a receiving
/// node builds is decided by its own table, not by the sender. A manifest the table does not know (a newer release's
/// message, or a peer that is not ours), a payload that does not parse, and one that breaks its message's rules are
/// refused with a <see cref="SerializationException"/> (Akka.Remote then drops that one message and keeps the
/// association), logged and counted (<see cref="Rejections"/>).
/// </summary>
public abstract class ProtobufWireSerializer : SerializerWithStringManifest, IWireRejectionSource
{
    private const int MaxLoggedManifest = 64;

    private readonly FrozenDictionary<Type, WireEntry> _byType;
    private readonly FrozenDictionary<string, WireEntry> _byManifest;
    private readonly ExtendedActorSystem _system;
    private ILoggingAdapter? _log;

    protected ProtobufWireSerializer(ExtendedActorSystem system, string wireName, IReadOnlyList<WireEntry> entries) : base(system)
    {
        _system = system;
        WireName = wireName;
        Rejections = new WireRejections(wireName, WireRejection.UnknownManifest, WireRejection.Malformed);
        _byType = entries.ToFrozenDictionary(e => e.Type);
        _byManifest = entries.ToFrozenDictionary(e => e.Manifest, StringComparer.Ordinal);
        Entries = entries;
    }

    public string WireName { get; }

    public WireRejections Rejections { get; }

    /// <summary>Every message type this serializer writes, with its manifest (the compatibility specs go through all).</summary>
    public IReadOnlyList<WireEntry> Entries { get; }

    // Akka's logging is set up after its serializers are created: looked up at the first refusal.
    private ILoggingAdapter Log => _log ??= Logging.GetLogger(_system, GetType());

    public override string Manifest(object o) => EntryFor(o).Manifest;

    public override byte[] ToBinary(object obj) => EntryFor(obj).Write(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!_byManifest.TryGetValue(manifest, out var entry))
        {
            Rejections.Count(WireRejection.UnknownManifest);
            Log.Warning("Wire: refused a message with unknown manifest [{0}] for serializer {1} (id {2}): written by a newer release " +
                        "or by a process that is not ours; it is dropped (docs/cluster.md, \"Wire format\")", Printable(manifest), WireName, Identifier);
            throw new SerializationException($"serializer {WireName} (id {Identifier}) does not know manifest [{Printable(manifest)}]");
        }
        try
        {
            return entry.Read(bytes);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or MalformedWireMessageException)
        {
            Rejections.Count(WireRejection.Malformed);
            Log.Warning("Wire: refused a malformed [{0}] message for serializer {1} ({2} bytes): {3}; it is dropped",
                manifest, WireName, bytes.Length, e.Message);
            throw new SerializationException($"malformed [{manifest}] message for serializer {WireName}: {e.Message}", e);
        }
    }

    private WireEntry EntryFor(object o) =>
        _byType.TryGetValue(o.GetType(), out var entry)
            ? entry
            : throw new SerializationException($"serializer {WireName} has no wire format for {o.GetType()}: bind it to the right serializer in hocon.conf");

    /// <summary>A manifest from the wire, safe for a log line: short, no control characters.</summary>
    internal static string Printable(string manifest)
    {
        var cut = manifest.Length > MaxLoggedManifest ? manifest[..MaxLoggedManifest] + "…" : manifest;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
