using System.Diagnostics;
using ActorService.Actors;
using ActorService.Actors.Accounts;
using ActorService.Node.Clustering;
using ActorService.Node.Config;
using ActorService.Node.Diagnostics;
using Akka.Actor;
using Akka.Hosting;

namespace ActorService.Node.Http;

/// <summary>The outcome of a ledger request after retries: the entity's reply, or why none came.</summary>
internal abstract record GatewayResult
{
    /// <summary>
    /// An answer that says what happened: applied, refused, read, or "unavailable" — and then every send was refused
    /// before it could commit, so nothing was applied.
    /// </summary>
    public sealed record Reply(object Message, int Attempts) : GatewayResult;

    /// <summary>
    /// No such answer within the request timeout: at least one send got none (or the entity answered "outcome
    /// unknown"), so a write may have been applied. <paramref name="ClusterDegraded"/>: the cluster changed while the
    /// request waited.
    /// </summary>
    public sealed record TimedOut(int Attempts, bool ClusterDegraded) : GatewayResult;

    /// <summary>
    /// The drain's request deadline cancelled the request. <paramref name="MayHaveApplied"/>: a send had left the
    /// gateway without a certain "not applied" coming back.
    /// </summary>
    public sealed record Cancelled(bool MayHaveApplied) : GatewayResult;

    /// <summary>
    /// Not sent: a member is unreachable and the account's shard did not answer a request just before (<see cref="ShardStalls"/>).
    /// Nothing was applied.
    /// </summary>
    public sealed record ShardStalled : GatewayResult;
}

/// <summary>
/// Sends a command to its account entity and waits for the first answer, within <c>http.request-timeout</c>.
/// <para>
/// A command can be lost on its way: in a hand-off whose buffer drops it, or on a node that was killed while it held
/// the shard (until the cluster removes that node, the shard's home still points at it). So while no answer has come,
/// the gateway sends the command <b>again</b>, with the same idempotency key (the client's or the one the node minted):
/// every <c>http.ask-timeout</c> in a settled cluster, every <c>http.resend-when-unsettled</c> while the cluster is
/// changing (see <see cref="ClusterHealth"/>), so a shard that found its new home serves within a fraction of a second.
/// Earlier sends stay open: the first answer from any of them wins, so a write that did go through is reported as
/// applied, and a repeat can never apply it twice (the command's request id tells the entity that a re-send is the same
/// request, so a write applied by an earlier send is still reported applied). An entity that answers "unavailable"
/// (certainly not applied: it could not load or reach its database) or "outcome unknown" (its commit got no answer) is
/// asked again after a short pause: the same key makes that safe, and the answer to the re-send is the real outcome.
/// </para>
/// While a member is unreachable the deadline is <c>http.unreachable-timeout</c> (fail fast, issue 17 item 4).
/// No answer by the deadline: <see cref="GatewayResult.TimedOut"/>; only when every send was answered "unavailable" is
/// the request known not to have been applied (<see cref="GatewayResult.Reply"/> with that answer). A request never
/// waits past the deadline.
/// </summary>
internal sealed class AccountGateway(
    IRequiredActor<AccountRegion> region, HttpSettings settings, ClusterHealth cluster, ShardStalls stalls, NodeMetrics metrics, ILogger<AccountGateway> logger)
{
    private static readonly TimeSpan UnavailablePause = TimeSpan.FromMilliseconds(100);
    // No re-send after "unavailable" with less than this left: an entity that cannot load answers within about a second.
    private static readonly TimeSpan LastResendMargin = TimeSpan.FromSeconds(1);

    public async Task<GatewayResult> SendAsync(IAccountMessage command, CancellationToken ct)
    {
        var target = region.ActorRef;
        var started = Stopwatch.GetTimestamp();
        var unreachable = cluster.AnyUnreachable;
        // The shard number only matters once fail-fast is in play; the region computes it again for routing.
        var shard = -1;
        int Shard() => shard >= 0 ? shard : shard = stalls.ShardOf(command.AccountId);
        if (unreachable && stalls.Refuse(Shard())) return new GatewayResult.ShardStalled();

        // Fast path: nearly every command is answered long before a re-send is due. One Ask, open until the deadline,
        // and one wait bounded by the re-send interval; the re-sending loop below only runs when that wait runs out.
        var first = target.Ask<object>(command, settings.RequestTimeout, ct);
        try
        {
            // Never longer than resend-when-unsettled: a member that dies while this request waits (kill -9) must be
            // noticed by the loop below within a fraction of a second, not after a whole ask-timeout.
            await first.WaitAsync(unreachable ? Min(settings.ResendWhenUnsettled, settings.UnreachableTimeout) : settings.ResendWhenUnsettled, ct);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or OperationCanceledException)
        {
            // no answer yet (or the request was cancelled): the loop below decides
        }
        if (first.IsCompletedSuccessfully && !AskAgain(first.Result))
        {
            if (stalls.EverStalled) stalls.Answered(Shard());
            return new GatewayResult.Reply(first.Result, 1);
        }
        var result = await ResendUntilAnsweredAsync(command, target, first, started, ct);
        if (result is GatewayResult.TimedOut && cluster.AnyUnreachable) stalls.Stalled(Shard());
        else if (result is GatewayResult.Reply && stalls.EverStalled) stalls.Answered(Shard());
        return result;
    }

    private async Task<GatewayResult> ResendUntilAnsweredAsync(
        IAccountMessage command, IActorRef target, Task<object> first, long started, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return new GatewayResult.Cancelled(MayHaveApplied: !(first.IsCompletedSuccessfully && first.Result is AccountReplies.Unavailable));
        using var sends = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pending = new List<Task<object>>(4) { first };
        var attempts = 1;
        object? unavailable = null;
        var uncertain = false; // a send ended without an answer, or with "outcome unknown": a write may have been applied
        var lastSend = TimeSpan.Zero;
        var sendNow = false;
        try
        {
            while (true)
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                var left = settings.RequestTimeout - elapsed;
                if (left <= TimeSpan.Zero) break;
                // Fail fast: while a member is unreachable, the shard may live on it and nothing will answer until it is
                // downed and its shards moved (seconds). Answer now, retryable with the same key, instead of holding the
                // client's connection: its pool must not fill with requests hung on a dead or frozen node.
                if (cluster.AnyUnreachable && elapsed >= settings.UnreachableTimeout) break;
                // Re-evaluated at every wake-up, so a request already waiting speeds up as soon as the cluster starts changing.
                var interval = cluster.IsUnsettled ? settings.ResendWhenUnsettled : settings.AskTimeout;
                if (sendNow || elapsed - lastSend >= interval)
                {
                    if (attempts > 0) metrics.AskRetried(sendNow ? "unavailable" : "timeout");
                    attempts++;
                    pending.Add(target.Ask<object>(command, left, sends.Token));
                    lastSend = elapsed;
                    sendNow = false;
                }
                var wake = Min(Min(lastSend + interval - elapsed, settings.ResendWhenUnsettled), left);
                if (cluster.AnyUnreachable) wake = Min(wake, Max(settings.UnreachableTimeout - elapsed, TimeSpan.FromMilliseconds(10)));
                var pause = Task.Delay(wake, sends.Token);
                await Task.WhenAny(pending.Append<Task>(pause));
                if (ct.IsCancellationRequested) return new GatewayResult.Cancelled(MayHaveApplied: uncertain || pending.Count > 0);

                // Oldest send first: when several answered, the original's answer is the true one (a repeat of an
                // applied write answers "already applied"), and the entity answers them in the order it got them.
                for (var i = 0; i < pending.Count; i++)
                {
                    var send = pending[i];
                    if (!send.IsCompleted) continue;
                    pending.RemoveAt(i--);
                    if (!send.IsCompletedSuccessfully)
                    {
                        // An Ask ends unanswered only at the deadline (its timeout is the time left) or when cancelled.
                        uncertain = true;
                        if (send.Exception?.GetBaseException() is { } error and not AskTimeoutException)
                            logger.LogWarning(error, "A send of {Command} to account {AccountId} failed", command.GetType().Name, command.AccountId);
                        continue;
                    }
                    if (AskAgain(send.Result))
                    {
                        // Ask again after a short pause (the database may be back), unless another send answers first.
                        if (send.Result is AccountReplies.OutcomeUnknown) uncertain = true;
                        else unavailable = send.Result;
                        var remaining = settings.RequestTimeout - Stopwatch.GetElapsedTime(started);
                        if (send.Result is AccountReplies.Unavailable && remaining < LastResendMargin)
                        {
                            // Too late for a re-send to be answered: one now could only turn a certain "not applied" into "unknown".
                            if (pending.Count == 0 && !uncertain) return new GatewayResult.Reply(unavailable!, attempts);
                            continue;
                        }
                        if (remaining > TimeSpan.Zero)
                            await Task.Delay(Min(UnavailablePause, remaining), sends.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                        if (ct.IsCancellationRequested) return new GatewayResult.Cancelled(MayHaveApplied: uncertain || pending.Count > 0);
                        sendNow = true;
                        continue;
                    }
                    return new GatewayResult.Reply(send.Result, attempts);
                }
            }
        }
        finally
        {
            await sends.CancelAsync(); // the sends still open stop waiting; a late answer goes to dead letters
        }
        if (ct.IsCancellationRequested) return new GatewayResult.Cancelled(MayHaveApplied: uncertain || pending.Count > 0);
        // Only when every send was answered, and every answer was "unavailable", is nothing applied for certain.
        return unavailable is not null && !uncertain && pending.Count == 0
            ? new GatewayResult.Reply(unavailable, attempts)
            : new GatewayResult.TimedOut(attempts, cluster.WasUnsettledSince(started));
    }

    /// <summary>Answers that are not the outcome yet: the entity asks to be asked again (same key, same request id).</summary>
    private static bool AskAgain(object reply) => reply is AccountReplies.Unavailable or AccountReplies.OutcomeUnknown;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
