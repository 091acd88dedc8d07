using System.Diagnostics;
using ActorService.Actors;
using ActorService.Actors.Accounts;
using ActorService.Node.Config;
using ActorService.Node.Diagnostics;
using Akka.Actor;
using Akka.Hosting;

namespace ActorService.Node.Http;

/// <summary>The outcome of a ledger request after retries: the entity's reply, or why none came.</summary>
internal abstract record GatewayResult
{
    public sealed record Reply(object Message, int Attempts) : GatewayResult;
    /// <summary>No answer within the request timeout. <paramref name="ClusterDegraded"/>: a member was unreachable or this node is leaving.</summary>
    public sealed record TimedOut(int Attempts, bool ClusterDegraded) : GatewayResult;
    /// <summary>The drain's request deadline cancelled the request.</summary>
    public sealed record Cancelled : GatewayResult;
}

/// <summary>
/// Sends commands to account entities and waits for their reply. An Ask that times out, or an entity that answers
/// "unavailable", is retried within the request's overall timeout with the <b>same</b> idempotency key, so a message
/// lost in a hand-off or on a crashed node costs time, never a double write. Reads are retried the same way.
/// </summary>
internal sealed class AccountGateway(IRequiredActor<AccountRegion> region, HttpSettings settings, ClusterHealth cluster, NodeMetrics metrics)
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    public async Task<GatewayResult> SendAsync(IAccountMessage command, CancellationToken ct)
    {
        var target = region.ActorRef;
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        string? retryReason = null; // why the previous attempt failed: counted when it is actually retried
        while (true)
        {
            var left = settings.RequestTimeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero) return new GatewayResult.TimedOut(attempts, cluster.IsDegraded);
            if (retryReason is not null) metrics.AskRetried(retryReason);
            attempts++;
            try
            {
                var reply = await target.Ask<object>(command, Min(settings.AskTimeout, left), ct);
                if (reply is not AccountReplies.Unavailable || Stopwatch.GetElapsedTime(started) + RetryPause >= settings.RequestTimeout)
                    return new GatewayResult.Reply(reply, attempts);
                retryReason = "unavailable";
            }
            catch (AskTimeoutException)
            {
                // The message or its reply was lost (hand-off, crashed node, slow commit): try again, same key.
                retryReason = "timeout";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return new GatewayResult.Cancelled();
            }
            try { await Task.Delay(RetryPause, ct); }
            catch (OperationCanceledException) { return new GatewayResult.Cancelled(); }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
