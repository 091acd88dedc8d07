using ActorService.Actors;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources;
using ActorService.Node.Config;
using ActorService.Node.Health;
using ActorService.Node.Hosting;
using ActorService.Node.Http;
using Akka;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using static Akka.Actor.CoordinatedShutdown;

namespace ActorService.Node.Shutdown;

/// <summary>
/// The drain, from SIGTERM to exit. This is the only place that adds CoordinatedShutdown tasks; the phases, their
/// order and every number live in hocon.conf.
/// <code>
/// SIGTERM / SIGINT / POST /admin/drain / downed by the cluster
///   └ readiness 503 at once (HostShutdownBridge, AdminApi, or the first task below)
/// before-service-unbind            stop-being-ready       readiness 503; keep serving for drain.lb-delay
/// service-unbind                   close-intake           new requests → 503 + Retry-After + Connection: close;
///                                                         after drain.refuse-window the listener closes, idle connections close
///                                                         (the window runs beside the phases below; the host waits for it)
/// service-requests-done            drain-requests         wait for accepted requests; at drain.request-deadline cancel them (→ 503)
/// service-stop                     drain-background-work  wait for tracked background work; at drain.background-deadline cancel it
/// cluster-sharding-shutdown-region (Akka) region-shutdown shards hand off; entities finish their mailboxes, then StopEntity
/// cluster-leave … cluster-shutdown (Akka) leave, exiting, removed
/// before-actor-system-terminate    close-resources        close drain.close-order (events, cache, db), each flushed first
/// actor-system-terminate           (Akka) terminate; the host exits with an ExitCodes value
/// </code>
/// Every phase also gets a "timeline" marker task, so each phase's start, end and counts are logged and reported.
/// </summary>
internal sealed class ShutdownPlan(
    ReadinessState readiness,
    IntakeGate gate,
    IServer server,
    BackgroundWorkTracker background,
    ShutdownTimeline timeline,
    DrainSettings drain,
    ILogger<ShutdownPlan> logger)
{
    private readonly CancellationTokenSource _serverStopDeadline = new();
    private readonly TaskCompletionSource _httpDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _serverStopped = Task.CompletedTask;
    private ActorSystem? _system;
    private ActorRegistry? _registry;

    /// <summary>Completes when no HTTP request is left (end of service-requests-done), or when the system terminated.</summary>
    public Task HttpDrained => _httpDrained.Task;

    /// <summary>(phase, task, timeout) rows for the startup log.</summary>
    public IReadOnlyList<(string Phase, string Tasks, TimeSpan Timeout)> Describe()
    {
        var cs = Get(_system!);
        var ours = new Dictionary<string, string>
        {
            [PhaseBeforeServiceUnbind] = "stop-being-ready",
            [PhaseServiceUnbind] = "close-intake",
            [PhaseServiceRequestsDone] = "drain-requests",
            [PhaseServiceStop] = "drain-background-work",
            [PhaseClusterShardingShutdownRegion] = "(akka) region-shutdown",
            [PhaseClusterLeave] = "(akka) leave",
            [PhaseClusterExiting] = "(akka) wait-exiting",
            [PhaseClusterExitingDone] = "(akka) exiting-completed",
            [PhaseClusterShutdown] = "(akka) wait-shutdown",
            [PhaseBeforeActorSystemTerminate] = $"close-resources [{string.Join(", ", drain.CloseOrder)}]",
            [PhaseActorSystemTerminate] = "(akka) terminate-system",
        };
        return ShutdownBudget.OrderedPhases(_system!.Settings.Config)
            .Select(p => (p, ours.GetValueOrDefault(p, "-"), cs.Timeout(p))).ToList();
    }

    public void Register(ActorSystem system, ActorRegistry registry)
    {
        foreach (var name in drain.CloseOrder)
            if (!ResourceCatalog.Keys.ContainsKey(name))
                throw new ConfigurationException($"actor-service.drain.close-order names '{name}'; known resources: {string.Join(", ", ResourceCatalog.Keys.Keys)}");
        _system = system;
        _registry = registry;
        var cs = Get(system);
        foreach (var phase in ShutdownBudget.OrderedPhases(system.Settings.Config))
        {
            var timeout = cs.Timeout(phase);
            cs.AddTask(phase, "timeline", () =>
            {
                timeline.Begin(DrainReasons.Describe(cs.ShutdownReason));
                timeline.PhaseStarted(phase, timeout);
                return Task.FromResult(Done.Instance);
            });
        }
        cs.AddTask(PhaseBeforeServiceUnbind, "stop-being-ready", StopBeingReady);
        cs.AddTask(PhaseServiceUnbind, "close-intake", CloseIntake);
        cs.AddTask(PhaseServiceRequestsDone, "drain-requests", DrainRequests);
        cs.AddTask(PhaseServiceStop, "drain-background-work", DrainBackgroundWork);
        var abandonedBefore = 0L;
        cs.AddTask(PhaseClusterShardingShutdownRegion, "count-entities", () =>
        {
            abandonedBefore = LedgerMetrics.AbandonedEntityCommands;
            timeline.Note(PhaseClusterShardingShutdownRegion, "entitiesToHandOff", LedgerMetrics.ActiveEntityCount);
            return Task.FromResult(Done.Instance);
        });
        cs.AddTask(PhaseClusterLeave, "check-hand-off", () =>
        {
            // Entities get handoff-timeout − 5 s to finish their queues; sharding stops the rest.
            var abandoned = LedgerMetrics.AbandonedEntityCommands - abandonedBefore;
            if (abandoned > 0) timeline.Abandon($"{abandoned} entity commands were still queued when sharding stopped their entities (answered 'unavailable')");
            return Task.FromResult(Done.Instance);
        });
        cs.AddTask(PhaseBeforeActorSystemTerminate, "close-resources", CloseResources);
        system.WhenTerminated.ContinueWith(_ => _httpDrained.TrySetResult(), TaskScheduler.Default);
    }

    private async Task<Done> StopBeingReady()
    {
        using var _ = timeline.Scope(logger);
        readiness.MarkDraining();
        timeline.Note(PhaseBeforeServiceUnbind, "inFlightRequests", gate.InFlight);
        logger.LogInformation("Readiness is 503; serving normally for {LbDelay} so the load balancer stops sending", drain.LbDelay);
        await DelayAtLeast(drain.LbDelay);
        return Done.Instance;
    }

    private Task<Done> CloseIntake()
    {
        using var _ = timeline.Scope(logger);
        gate.Close();
        timeline.Note(PhaseServiceUnbind, "inFlightAtClose", gate.InFlight);
        logger.LogInformation("Intake closed: new requests get 503 + Retry-After + Connection: close; {InFlight} accepted requests still running", gate.InFlight);
        _serverStopped = CloseListenerAfterRefuseWindow();
        return Task.FromResult(Done.Instance);
    }

    /// <summary>
    /// The refuse window runs beside the rest of the drain rather than before it: meanwhile the accepted requests finish,
    /// shards hand off and the node leaves the cluster, none of which a request refused at the gate touches. Waited
    /// for in sequence it added the whole window to every drain (bench/ measured 0.5 s of a 2.2 s drain overhead).
    /// <see cref="HttpDrained"/>, which holds the host's own stop of Kestrel, still waits for it.
    /// </summary>
    private async Task CloseListenerAfterRefuseWindow()
    {
        await Task.Delay(drain.RefuseWindow);
        // Stops accepting connections and closes idle ones; waits for active requests until the deadline token fires.
        var stopping = server.StopAsync(_serverStopDeadline.Token);
        timeline.Note(PhaseServiceUnbind, "refusedAtGate", gate.Refused);
        logger.LogInformation("HTTP listener closing after a {Window} refuse window; {Refused} requests refused at the gate", drain.RefuseWindow, gate.Refused);
        await stopping;
    }

    private async Task<Done> DrainRequests()
    {
        using var scope = timeline.Scope(logger);
        var atStart = gate.InFlight;
        var drained = await Finishes(gate.Drained, drain.RequestDeadline);
        var cancelled = 0;
        if (!drained)
        {
            cancelled = gate.InFlight;
            logger.LogWarning("Request deadline {Deadline} passed with {Count} requests running; cancelling them (they answer 503)", drain.RequestDeadline, cancelled);
            gate.CancelRemaining();
            timeline.Abandon($"{cancelled} HTTP requests cancelled at the request deadline ({drain.RequestDeadline.TotalSeconds:0.#} s) with 503");
            if (!await Finishes(gate.Drained, drain.CancelGrace))
                timeline.Abandon($"{gate.InFlight} HTTP requests still running {drain.CancelGrace.TotalSeconds:0.#} s after cancellation");
        }
        timeline.Note(PhaseServiceRequestsDone, "inFlightAtStart", atStart);
        timeline.Note(PhaseServiceRequestsDone, "cancelledAtDeadline", cancelled);
        timeline.Note(PhaseServiceRequestsDone, "acceptedTotal", gate.Accepted);
        logger.LogInformation("HTTP drained: {AtStart} requests were in flight, {Cancelled} cancelled at the deadline", atStart, cancelled);
        _ = FinishServerStop(); // completes HttpDrained when the listener has closed
        return Done.Instance;
    }

    /// <summary>The listener closes at the end of the refuse window; then the host may stop Kestrel (<see cref="HttpDrained"/>).</summary>
    private async Task FinishServerStop()
    {
        try
        {
            // The handlers are done, but Kestrel may still be flushing their last bytes: let the graceful stop finish
            // (it closes each connection after its response) and abort connections only if that outlasts the grace.
            if (!await Finishes(_serverStopped, drain.RefuseWindow + drain.CancelGrace))
            {
                await _serverStopDeadline.CancelAsync();
                await Finishes(_serverStopped, drain.CancelGrace);
            }
        }
        finally
        {
            _httpDrained.TrySetResult();
        }
    }

    private async Task<Done> DrainBackgroundWork()
    {
        using var _ = timeline.Scope(logger);
        var running = string.Join(" ", background.Running.Select(w => w.Name));
        var report = await background.StopAsync(drain.BackgroundDeadline, drain.CancelGrace);
        timeline.Note(PhaseServiceStop, "backgroundWork", running);
        timeline.Note(PhaseServiceStop, "backgroundRunning", report.RunningAtStart);
        timeline.Note(PhaseServiceStop, "backgroundFinished", report.Finished);
        timeline.Note(PhaseServiceStop, "backgroundCancelled", report.FinishedAfterCancel);
        timeline.Note(PhaseServiceStop, "backgroundFailed", report.Failed);
        foreach (var a in report.Abandoned)
            timeline.Abandon($"background work '{a.Name}' (running {a.Age.TotalSeconds:0.0} s) ignored cancellation");
        if (report.FinishedAfterCancel > 0)
            timeline.Abandon($"{report.FinishedAfterCancel} background tasks were cancelled at the deadline");
        return Done.Instance;
    }

    private async Task<Done> CloseResources()
    {
        using var _ = timeline.Scope(logger);
        timeline.Note(PhaseBeforeActorSystemTerminate, "entitiesLeft", LedgerMetrics.ActiveEntityCount);
        var order = 0;
        foreach (var name in drain.CloseOrder)
        {
            order++;
            if (!_registry!.TryGet(ResourceCatalog.Keys[name], out var resource))
            {
                logger.LogInformation("Resource {Resource} is not running on this node; nothing to close", name);
                continue;
            }
            try
            {
                var closed = await resource.Ask<ResourceReplies.Closed>(ResourceCommands.Close.Instance, drain.ResourceCloseTimeout);
                timeline.Note(PhaseBeforeActorSystemTerminate, $"closed{order}", $"{name} {closed.Took.TotalMilliseconds:0} ms");
                logger.LogInformation("Closed resource {Resource} ({Order} of {Count}) in {DurationMs:0} ms: {Detail}",
                    name, order, drain.CloseOrder.Count, closed.Took.TotalMilliseconds, closed.Detail);
            }
            catch (AskTimeoutException)
            {
                timeline.Abandon($"resource '{name}' did not close within {drain.ResourceCloseTimeout}");
            }
        }
        return Done.Instance;
    }

    /// <summary>Timers may fire a millisecond early; "at least the lb-delay" is a promise, so wait on the clock.</summary>
    private static async Task DelayAtLeast(TimeSpan duration)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        TimeSpan left;
        while ((left = duration - System.Diagnostics.Stopwatch.GetElapsedTime(started)) > TimeSpan.Zero)
            await Task.Delay(left + TimeSpan.FromMilliseconds(1));
    }

    private static async Task<bool> Finishes(Task task, TimeSpan within)
    {
        if (task.IsCompleted) return true;
        using var cts = new CancellationTokenSource();
        var winner = await Task.WhenAny(task, Task.Delay(within, cts.Token));
        await cts.CancelAsync();
        return winner == task;
    }
}
