using ActorService.Node.Config;
using ActorService.Node.Http;
using Microsoft.AspNetCore.Hosting.Server;
using static Akka.Actor.CoordinatedShutdown;
using static ActorService.Node.Shutdown.DrainWaits;

namespace ActorService.Node.Shutdown;

/// <summary>
/// How the HTTP listener stops during a drain, in one place. ASP.NET Core would stop Kestrel first, before any phase
/// runs (DRAIN.md, "Who stops first"); instead:
/// <list type="number">
/// <item><c>close-intake</c> calls <see cref="Start"/>: intake is closed, but the listener stays open for
/// <c>drain.refuse-window</c>, so a kept-alive client gets its <c>503 + Connection: close</c> instead of a refused
/// connection; then <see cref="IServer.StopAsync"/> closes the listener and idle connections.</item>
/// <item><c>drain-requests</c> calls <see cref="RequestsDrained"/> when no request is left; the server's graceful stop
/// then gets <c>refuse-window + cancel-grace</c> to flush the last responses before connections are aborted.</item>
/// <item>The host's own stop of Kestrel waits for <see cref="HostMayStop"/> (<see cref="HostShutdownBridge"/>).</item>
/// </list>
/// The refuse window runs beside the phases after <c>service-unbind</c> rather than before them: meanwhile accepted
/// requests finish, shards hand off and the node leaves the cluster, none of which a request refused at the gate
/// touches. Waited for in sequence it added the whole window to every drain (bench/ measured 0.5 s of a 2.2 s overhead).
/// </summary>
internal sealed class HttpListenerStop(IServer server, IntakeGate gate, DrainSettings drain, ShutdownTimeline timeline, ILogger<HttpListenerStop> logger)
{
    private readonly CancellationTokenSource _abortConnections = new();
    private readonly TaskCompletionSource _requestsDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _hostMayStop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    /// <summary>Completes when the listener has closed after the last request.</summary>
    public Task HostMayStop => _hostMayStop.Task;

    /// <summary>Intake just closed: the refuse window starts, and with it the whole stop (once).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0) _ = StopAsync();
    }

    /// <summary>No accepted request is left (or the rest was cancelled at the request deadline).</summary>
    public void RequestsDrained() => _requestsDrained.TrySetResult();

    private async Task StopAsync()
    {
        try
        {
            await Task.Delay(drain.RefuseWindow);
            // Stops accepting connections and closes idle ones; waits for active requests until the abort token fires.
            var stopping = server.StopAsync(_abortConnections.Token);
            timeline.Note(PhaseServiceUnbind, "refusedAtGate", gate.Refused);
            logger.LogInformation("HTTP listener closing after a {Window} refuse window; {Refused} requests refused at the gate", drain.RefuseWindow, gate.Refused);
            await _requestsDrained.Task;
            // The handlers are done, but Kestrel may still be flushing their last bytes: let the graceful stop finish
            // (it closes each connection after its response) and abort connections only if that outlasts the grace.
            if (!await Finishes(stopping, drain.RefuseWindow + drain.CancelGrace))
            {
                await _abortConnections.CancelAsync();
                await Finishes(stopping, drain.CancelGrace);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Stopping the HTTP listener failed; the host stops it now");
        }
        finally
        {
            _hostMayStop.TrySetResult();
        }
    }
}
