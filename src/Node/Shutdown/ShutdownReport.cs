using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActorService.Node.Shutdown;

/// <summary>
/// One drain, as a JSON document: the timeline of phases, what each drained, and what (if anything) was
/// abandoned. Logged at the end of every shutdown and written to <c>drain.report-path</c> when set.
/// </summary>
public sealed record ShutdownReport(
    string ShutdownId,
    string Node,
    string Reason,
    DateTimeOffset StartedAt,
    double TotalMs,
    int ExitCode,
    bool Clean,
    IReadOnlyList<PhaseReport> Phases,
    IReadOnlyList<string> Abandoned,
    IReadOnlyList<DrainSample> Samples)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ShutdownReport FromJson(string json) => JsonSerializer.Deserialize<ShutdownReport>(json, Json)
        ?? throw new InvalidDataException("empty shutdown report");
}

/// <summary>One CoordinatedShutdown phase: when it started (ms after the drain began), how long it took, its timeout, and its counts.</summary>
public sealed record PhaseReport(
    string Name,
    double StartMs,
    double DurationMs,
    double TimeoutMs,
    bool TimedOut,
    IReadOnlyDictionary<string, object> Counts);

/// <summary>
/// In-flight requests, active entities and entity mailbox depth (mailboxes plus stashes of this node's account
/// entities), sampled every 100 ms during the drain (for the timeline picture).
/// </summary>
public sealed record DrainSample(double AtMs, int InFlightRequests, long ActiveEntities, long MailboxDepth = 0);
