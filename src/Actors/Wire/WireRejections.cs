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
/// Counts of messages one serializer refused since the node started, by <see cref="WireRejection"/>. Read by the node's
/// metrics when Prometheus scrapes (<c>actorservice_wire_rejected_total</c>), so a refusal costs one interlocked add.
/// </summary>
public sealed class WireRejections
{
    private readonly long[] _counts = new long[Enum.GetValues<WireRejection>().Length];

    public void Count(WireRejection reason) => Interlocked.Increment(ref _counts[(int)reason]);

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

/// <summary>A serializer of ours that refuses messages and counts them; the node's metrics list every one.</summary>
public interface IWireRejectionSource
{
    /// <summary>Short name of the serializer: the <c>serializer</c> label of the rejection metric.</summary>
    string WireName { get; }

    WireRejections Rejections { get; }
}
