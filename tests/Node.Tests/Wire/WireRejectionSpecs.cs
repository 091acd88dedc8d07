using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.Serialization;
using ActorService.Actors;
using ActorService.Actors.Wire;
using ActorService.Node.Clustering;
using ActorService.TestSupport;
using Akka.Actor;
using Akka.Event;
using Google.Protobuf;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using Older = ActorService.Node.Tests.Wire.Older;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// What a node does with bytes it must not trust: a manifest it does not know (a newer release's message, a stranger's),
/// bytes that do not parse or break a message's rules, a payload claiming Akka's Newtonsoft serializer, and a message
/// type nobody bound. Each is refused with a <see cref="SerializationException"/> (Akka.Remote drops that one message
/// and keeps the association), logged, and counted in <c>actorservice_wire_rejected_total</c>.
/// </summary>
public sealed class WireRejectionSpecs : IDisposable
{
    private readonly ActorSystem _system = WireConfig.LocalSystem("wire-rejection");
    private readonly ConcurrentQueue<LogEvent> _logs = new();
    private readonly ConcurrentQueue<(string Serializer, string Reason, long Value)> _measurements = new();
    private readonly MeterListener _listener = new();

    public WireRejectionSpecs()
    {
        var collector = _system.ActorOf(Props.Create(() => new LogCollector(_logs)));
        _system.EventStream.Subscribe(collector, typeof(Warning));
        _system.EventStream.Subscribe(collector, typeof(Error));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WireRejections.MeterName && instrument.Name == "actorservice_wire_rejected") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string serializer = "", reason = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "serializer") serializer = tag.Value as string ?? "";
                if (tag.Key == "reason") reason = tag.Value as string ?? "";
            }
            _measurements.Enqueue((serializer, reason, value));
        });
        _listener.Start();
    }

    [Fact]
    public async Task Should_refuse_log_and_count_a_message_when_its_manifest_is_unknown()
    {
        var accounts = WireConfig.Accounts(_system);
        var before = accounts.Rejections[WireRejection.UnknownManifest];
        var bytes = accounts.ToBinary(new GetBalance("acct-1", null));

        var refused = Assert.Throws<SerializationException>(() => accounts.FromBinary(bytes, "get-balance-v9"));

        Assert.Contains("get-balance-v9", refused.Message);
        Assert.Equal(before + 1, accounts.Rejections[WireRejection.UnknownManifest]);
        Assert.Equal(1, Counted("accounts", "unknown-manifest"));
        await LoggedAsync(e => e is Warning && e.ToString()!.Contains("unknown manifest [get-balance-v9]"), "a warning naming the unknown manifest");
    }

    [Fact]
    public void Should_refuse_a_net_type_name_as_manifest_when_a_peer_sends_one()
    {
        var gate = WireConfig.LedgerGate(_system);
        var typeName = typeof(LedgerGateMessages.JoinCheck).AssemblyQualifiedName!;

        Assert.Throws<SerializationException>(() => gate.FromBinary([], typeName));

        Assert.Equal(1, gate.Rejections[WireRejection.UnknownManifest]);
        Assert.Equal(1, Counted("ledger-gate", "unknown-manifest"));
    }

    [Fact]
    public async Task Should_refuse_and_count_as_malformed_when_the_bytes_do_not_parse()
    {
        var accounts = WireConfig.Accounts(_system);

        Assert.Throws<SerializationException>(() => accounts.FromBinary([0x0A, 0xFF, 0xFF], "apply-write"));

        Assert.Equal(1, Counted("accounts", "malformed"));
        await LoggedAsync(e => e is Warning && e.ToString()!.Contains("malformed [apply-write]"), "a warning naming the malformed manifest");
    }

    [Theory]
    [InlineData("", "key", 1, "account_id is empty")]
    [InlineData("acct-1", "", 1, "idempotency_key is empty")]
    [InlineData("acct-1", "key", 0, "operation 0")]
    [InlineData("acct-1", "key", 9, "operation 9")]
    public void Should_refuse_a_write_when_it_parses_but_breaks_the_message_rules(string account, string key, int operation, string why)
    {
        // Written with the older schema's message (the same field numbers): the bytes a careless or hostile peer could send.
        var bytes = new Older.ApplyWrite
        {
            AccountId = account, IdempotencyKey = key, Operation = (Older.LedgerOperation)operation, Amount = 5, RequestId = "r",
        }.ToByteArray();

        var refused = Assert.Throws<SerializationException>(() => WireConfig.Accounts(_system).FromBinary(bytes, "apply-write"));

        Assert.Contains(why, refused.Message);
        Assert.Equal(1, Counted("accounts", "malformed"));
    }

    [Fact]
    public async Task Should_refuse_log_and_count_a_message_when_no_serializer_is_bound_to_its_type()
    {
        var refused = Assert.Throws<SerializationException>(() => _system.Serialization.Serialize(new NotOnTheWire("x")));

        Assert.Contains(nameof(NotOnTheWire), refused.Message);
        Assert.Equal(1, Counted("unbound", "unbound-type"));
        await LoggedAsync(e => e is Error && e.ToString()!.Contains(nameof(NotOnTheWire)), "an error naming the unbound type");
    }

    [Fact]
    public void Should_find_no_serializer_when_a_payload_claims_akkas_newtonsoft_json()
    {
        // What Akka's default JSON serializer (id 1) would have built from the type name the sender chose.
        var payload = """{"$type":"System.IO.FileInfo, System.IO.FileSystem","OriginalPath":"/etc/passwd"}"""u8.ToArray();

        var refused = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize(payload, 1, "System.IO.FileInfo, System.IO.FileSystem"));

        Assert.Contains("Cannot find serializer with id [1]", refused.Message);
    }

    private sealed record NotOnTheWire(string Value);

    private long Counted(string serializer, string reason) =>
        _measurements.Where(m => m.Serializer == serializer && m.Reason == reason).Sum(m => m.Value);

    private Task LoggedAsync(Func<LogEvent, bool> match, string what) =>
        Eventually.True(() => _logs.Any(match), TimeSpan.FromSeconds(5), what);

    private sealed class LogCollector : ReceiveActor
    {
        public LogCollector(ConcurrentQueue<LogEvent> logs) => Receive<LogEvent>(logs.Enqueue);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }
}
