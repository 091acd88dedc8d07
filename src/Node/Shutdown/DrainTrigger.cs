using ActorService.Node.Health;
using ActorService.Node.Logging;
using Akka.Actor;

namespace ActorService.Node.Shutdown;

/// <summary>
/// The one way a drain starts. Every trigger calls <see cref="DrainStarted"/>: the host's stop on SIGTERM or SIGINT
/// (<see cref="HostShutdownBridge"/>), <c>POST /admin/drain</c> (AdminApi), and the plan's first task when Akka started
/// the shutdown itself because the cluster told this node to leave or downed it. The first call flips readiness to
/// 503, starts the timeline and puts its shutdown id on every log line from then on; later calls (a second SIGTERM,
/// the host stopping after an admin drain) change nothing.
/// </summary>
internal sealed class DrainTrigger(ActorSystem system, ReadinessState readiness, ShutdownTimeline timeline, DrainLogContext drainLog)
{
    private readonly Lock _lock = new();
    private bool _started;

    public void DrainStarted(CoordinatedShutdown.Reason reason)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        // Runs the phases once, whoever asks first; a later call joins the run. Akka keeps the first reason, so a drain
        // the cluster started (leave, downing) is reported as such even when SIGTERM arrives a moment later.
        _ = shutdown.Run(reason);
        lock (_lock) // the first phase's marker may be the caller: the bookkeeping is complete before any phase is logged
        {
            if (_started) return;
            _started = true;
            readiness.MarkDraining();
            drainLog.Begin(timeline.ShutdownId);
            timeline.Begin(DrainReasons.Describe(shutdown.ShutdownReason ?? reason));
        }
    }
}
