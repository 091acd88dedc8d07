using ActorService.Actors.Accounts;
using ActorService.Actors.Wire;
using ActorService.Node.Clustering;
using Akka.Actor;
using Xunit;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// Every message type that crosses nodes is bound, in hocon.conf, to the serializer that has its wire format: the
/// account protocol (through the shard regions and back as Ask replies) the ledger gate's questions, and the
/// membership questions of a node woken from a pause. The types are
/// found by reflection, so a message added to those protocols without a binding fails here rather than being refused
/// on the wire in production. Everything else of ours falls to the refusing <c>json</c> serializer.
/// </summary>
public sealed class WireBindingSpecs : IDisposable
{
    private readonly ActorSystem _system = WireConfig.LocalSystem("wire-binding");

    public static TheoryData<Type, int> CrossNodeMessages()
    {
        var data = new TheoryData<Type, int>();
        foreach (var (protocol, serializerId) in new[]
                 {
                     (typeof(AccountCommands), AccountMessageSerializer.Id), (typeof(AccountReplies), AccountMessageSerializer.Id),
                     (typeof(LedgerGateMessages), LedgerGateMessageSerializer.Id), (typeof(MembershipQuestions), LedgerGateMessageSerializer.Id),
                 })
            foreach (var type in protocol.GetNestedTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
                data.Add(type, serializerId);
        return data;
    }

    [Theory]
    [MemberData(nameof(CrossNodeMessages))]
    public void Should_bind_the_message_to_its_protobuf_serializer_when_hocon_conf_is_loaded(Type message, int serializerId)
    {
        var serializer = _system.Serialization.FindSerializerForType(message);

        Assert.True(serializer.Identifier == serializerId,
            $"{message} is bound to {serializer.GetType().Name} (id {serializer.Identifier}), expected id {serializerId}: add it to " +
            "akka.actor.serialization-bindings in hocon.conf and give it a manifest");
        Assert.Contains(((ProtobufWireSerializer)serializer).Entries, e => e.Type == message);
    }

    [Fact]
    public void Should_fall_back_to_the_refusing_serializer_when_a_node_local_message_has_no_binding()
    {
        var serializer = _system.Serialization.FindSerializerForType(typeof(LedgerGate.CheckSeeds));

        Assert.IsType<UnboundTypeSerializer>(serializer);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
