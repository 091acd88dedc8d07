using System.Diagnostics.Metrics;

namespace ActorService.Actors.Wire;

/// <summary>Why a wire serializer refused a message. The names are the <c>reason</c> label of the rejection metric.</summary>
public enum WireRejection
{
    /// <summary>A payload whose manifest the serializer does not know: a newer release's message, or not ours at all.</summary>
    UnknownManifest,

    /// <summary>A known manifest whose bytes do not parse, or break the message's rules (an empty account id, an unknown operation).</summary>
    Malformed,

    /// <summary>A message type no serializer of ours is bound to: refused instead of falling back to Akka's JSON.</summary>
    UnboundType,
}

/// <summary>
/// Counts of messages one serializer refused, by <see cref="WireRejection"/>: kept by the serializer instance (what the
/// specs read) and added to <c>actorservice_wire_rejected_total{serializer, reason}</c> on its own process-wide meter
/// (what /metrics shows). Akka creates the serializers itself, and creates them again when an extension adds
/// configuration, so the exported counter is process-wide rather than read from one instance. Every serializer exports
/// each reason it can count from its start (0 when none), so an alert on <c>increase(...) > 0</c> needs no series to
/// appear first.
/// The manifest is in the log line, not a label: an unknown one is chosen by the sender, and labels must stay bounded.
/// </summary>
public sealed class WireRejections
{
    /// <summary>The process-wide meter of the wire counters (the exporter adds it by name, like System.Runtime).</summary>
    public const string MeterName = "ActorService.Wire";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("actorservice_wire_rejected", "{messages}",
        "Messages refused by a wire serializer, by serializer and reason: unknown-manifest (a newer release's or a stranger's), " +
        "malformed (bytes that do not parse or break the message's rules), unbound-type (a type no serializer is bound to)");

    private static readonly WireRejection[] Reasons = Enum.GetValues<WireRejection>();

    private readonly long[] _counts = new long[Reasons.Length];
    private readonly KeyValuePair<string, object?>[][] _tags;

    /// <param name="serializer">The <c>serializer</c> label: the serializer's short name.</param>
    /// <param name="reasons">The reasons this serializer can count: exported as 0 from the start.</param>
    public WireRejections(string serializer, params WireRejection[] reasons)
    {
        _tags = Reasons.Select(reason => new KeyValuePair<string, object?>[] { new("serializer", serializer), new("reason", Label(reason)) }).ToArray();
        foreach (var reason in reasons) Rejected.Add(0, _tags[(int)reason]);
    }

    public void Count(WireRejection reason)
    {
        Interlocked.Increment(ref _counts[(int)reason]);
        Rejected.Add(1, _tags[(int)reason]);
    }

    public long this[WireRejection reason] => Interlocked.Read(ref _counts[(int)reason]);

    /// <summary>The metric label of a reason: unknown-manifest, malformed, unbound-type.</summary>
    public static string Label(WireRejection reason) => reason switch
    {
        WireRejection.UnknownManifest => "unknown-manifest",
        WireRejection.Malformed => "malformed",
        WireRejection.UnboundType => "unbound-type",
        _ => reason.ToString(),
    };
}

/// <summary>A serializer of ours that refuses messages and counts them.</summary>
public interface IWireRejectionSource
{
    /// <summary>Short name of the serializer: the <c>serializer</c> label of the rejection metric.</summary>
    string WireName { get; }

    WireRejections Rejections { get; }
}
