using System.Diagnostics;

namespace ActorService.Actors.Tracing;

/// <summary>
/// <see cref="Activity.Current"/> is an AsyncLocal and does not cross a mailbox. Commands carry the HTTP request's
/// W3C <c>traceparent</c>; an actor restores it around a log call so the line carries the request's trace id
/// (Serilog reads it from the current activity), and the entity's work shows up as a child span.
/// </summary>
public static class TraceRestore
{
    public static Activity? From(string? traceParent, string operation)
    {
        if (traceParent is null || Activity.Current?.Id == traceParent) return null;
        var activity = new Activity(operation);
        activity.SetParentId(traceParent);
        return activity.Start();
    }

    /// <summary>The traceparent of the current activity, to put on an outgoing command.</summary>
    public static string? Current => Activity.Current?.Id;
}
