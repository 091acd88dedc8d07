using ActorService.Actors.Accounts;
using ActorService.Actors.Wire;
using ActorService.Node.Clustering;
using ActorService.TestSupport;
using Akka.Actor;
using Akka.Configuration;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// The wire format exactly as a node configures it: <c>akka.actor.serializers</c> and <c>serialization-bindings</c> taken
/// from the repository's hocon.conf (not a copy), so a binding missing there fails these specs.
/// </summary>
internal static class WireConfig
{
    public static string Hocon { get; } = Render();

    /// <summary>A local ActorSystem with the node's wire configuration (serializer specs need no cluster).</summary>
    public static ActorSystem LocalSystem(string name) =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(Hocon + "\nakka.loglevel = WARNING\nakka.stdout-loglevel = WARNING"));

    public static AccountMessageSerializer Accounts(ActorSystem system) =>
        (AccountMessageSerializer)system.Serialization.FindSerializerForType(typeof(AccountCommands.ApplyWrite));

    public static LedgerGateMessageSerializer LedgerGate(ActorSystem system) =>
        (LedgerGateMessageSerializer)system.Serialization.FindSerializerForType(typeof(LedgerGateMessages.JoinCheck));

    /// <summary>Both of our Protobuf serializers, by their <see cref="ProtobufWireSerializer.WireName"/>.</summary>
    public static IReadOnlyDictionary<string, ProtobufWireSerializer> Serializers(ActorSystem system) =>
        new ProtobufWireSerializer[] { Accounts(system), LedgerGate(system) }.ToDictionary(s => s.WireName);

    private static string Render()
    {
        var file = ConfigurationFactory.ParseString(File.ReadAllText(Repo.HoconFile));
        var serializers = file.GetConfig("akka.actor.serializers").AsEnumerable()
            .Select(kv => $"  {kv.Key} = \"{kv.Value.GetString()}\"");
        var bindings = file.GetConfig("akka.actor.serialization-bindings").AsEnumerable()
            .Select(kv => $"  \"{kv.Key}\" = {kv.Value.GetString()}");
        return $"akka.actor.serializers {{\n{string.Join('\n', serializers)}\n}}\n" +
               $"akka.actor.serialization-bindings {{\n{string.Join('\n', bindings)}\n}}\n";
    }
}
