using System.Text;
using ActorService.Actors;
using ActorService.Actors.Accounts.Placement;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources;
using ActorService.Node.Config;
using ActorService.Node.Hosting;
using ActorService.Node.Http;
using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using static Akka.Actor.CoordinatedShutdown;
using static ActorService.Node.Shutdown.DrainWaits;

namespace ActorService.Node.Shutdown;

/// <summary>
/// The drain, from SIGTERM to exit. <see cref="Steps"/> is its one table: this class registers the table's tasks (the
/// only place that calls <c>CoordinatedShutdown.AddTask</c>), logs it at start as the "stages report", and
/// docs/drain.md shows it (a test compares them). The phases, their order and every timeout are in hocon.conf
/// (<c>akka.coordinated-shutdown</c>); the deadlines the steps keep are in <c>actor-service.drain</c>.
/// <code>
/// 1. A trigger calls DrainTrigger.DrainStarted(reason); the first call flips readiness to 503, starts the timeline
///    (and its shutdown id on every log line) and runs CoordinatedShutdown:
///      SIGTERM, SIGINT     the host stops → HostShutdownBridge.StoppingAsync, which holds the host (not Kestrel first)
///      POST /admin/drain   AdminApi
///      leave, downing      Akka runs the phases itself → the first phase's timeline marker
/// 2. The phases, in hocon.conf's order, each with its timeout there (the rows of Steps below):
///      before-service-unbind            stop-being-ready       keep serving for drain.lb-delay; the load balancer sees 503
///                                       announce-draining      the shard coordinator starts moving this node's shards away
///      service-unbind                   close-intake           new requests → 503 + Retry-After + Connection: close;
///                                                              HttpListenerStop closes the listener after drain.refuse-window
///      service-requests-done            drain-requests         accepted requests finish; at drain.request-deadline → cancelled
///      service-stop                     drain-background-work  background work finishes; at drain.background-deadline → cancelled
///      before-cluster-shutdown          wait-for-shards-moved  the coordinator moves this node's shards away a few at a time (announced by
///                                                              announce-draining, beside stop-being-ready); at drain.shard-move-deadline → on
///      cluster-sharding-shutdown-region count-entities; (Akka) region-shutdown: entities empty their mailboxes, shards hand off
///      cluster-leave                    (Akka) leave; check-hand-off
///      cluster-exiting                  (Akka) wait-exiting, and the shard coordinator singleton hands over
///      cluster-exiting-done             (Akka) exiting-completed: Removed
///      cluster-shutdown                 (Akka) wait-shutdown: the cluster daemon stopped
///      before-actor-system-terminate    close-resources        drain.close-order (events, cache, db), each flushed, then closed
///      actor-system-terminate           (Akka) terminate-system
/// 3. The host goes on (HttpListenerStop.HostMayStop), HostShutdownBridge.StoppedAsync writes the shutdown report and
///    sets NodeExitCode, Program returns it: 0 clean, 3 a deadline was hit, 4 downed (docs/drain.md).
/// </code>
/// Every phase also runs a "timeline" marker first, so each phase's start, end and counts are logged and reported.
/// </summary>
internal sealed class ShutdownPlan(
    IntakeGate gate,
    HttpListenerStop http,
    BackgroundWorkTracker background,
    ShutdownTimeline timeline,
    DrainTrigger trigger,
    DrainSettings drain,
    LedgerMetrics ledger,
    ILogger<ShutdownPlan> logger)
{
    /// <summary>Every task of the drain in phase order: ours, with the work they do, and Akka's own, described.</summary>
    public static readonly IReadOnlyList<DrainStep> Steps =
    [
        Ours(PhaseBeforeServiceUnbind, "announce-draining", "tell the shard coordinator (Distributed Data, every member) that this node drains: it moves the node's shards to warm nodes accounts.shard-moves-at-once at a time, while the node still serves the rest, and gives it no new ones", p => p.AnnounceDraining()),
        Ours(PhaseBeforeServiceUnbind, "stop-being-ready", "readiness answers 503 from the drain's first moment; keep serving normally for drain.lb-delay so the load balancer stops sending", p => p.StopBeingReady()),
        Ours(PhaseServiceUnbind, "close-intake", "close the intake gate: new requests get 503 + Retry-After + Connection: close; the listener closes after drain.refuse-window, beside the phases below", p => p.CloseIntake()),
        Ours(PhaseServiceRequestsDone, "drain-requests", "wait for the accepted requests; at drain.request-deadline cancel the rest (a write that reached its account: 504 outcome-unknown; otherwise 503) and give them drain.cancel-grace", p => p.DrainRequests()),
        Ours(PhaseServiceStop, "drain-background-work", "wait for tracked background work; at drain.background-deadline cancel it; work still running drain.cancel-grace later is abandoned, by name", p => p.DrainBackgroundWork()),
        Ours(PhaseBeforeClusterShutdown, "wait-for-shards-moved", "wait until the coordinator has moved every shard of this node away, none moved for 1.5 s, or drain.shard-move-deadline; what is left hands off with the region below", p => p.WaitForShardsMoved()),
        Ours(PhaseClusterShardingShutdownRegion, "count-entities", "note the active entities about to hand off", p => p.CountEntities()),
        Akkas(PhaseClusterShardingShutdownRegion, "region-shutdown", "hand this node's shards off: each entity processes the commands queued in its mailbox (handoff-timeout − 5 s), then stops"),
        Akkas(PhaseClusterLeave, "leave", "tell the cluster this node leaves"),
        Ours(PhaseClusterLeave, "check-hand-off", "report entity commands the hand-off cut short as abandoned (they were answered 'unavailable' and are retried by their callers)", p => p.CheckHandOff()),
        Akkas(PhaseClusterExiting, "wait-exiting", "wait until the leader has moved this node to Exiting"),
        Akkas(PhaseClusterExiting, "wait-singleton-exiting", "the shard coordinator's singleton manager: wait until it has processed this node's exit (it hands the coordinator over if it ran here)"),
        Akkas(PhaseClusterExiting, "singleton-exiting-2", "tell that singleton manager this node is exiting"),
        Akkas(PhaseClusterExiting, "singleton-exiting-1", "tell the singleton's oldest-node tracker this node is exiting, so the next oldest takes the coordinator over"),
        Akkas(PhaseClusterExitingDone, "exiting-completed", "wait until this node is removed from the cluster"),
        Akkas(PhaseClusterShutdown, "wait-shutdown", "wait until the cluster daemon has stopped"),
        Ours(PhaseBeforeActorSystemTerminate, "close-resources", "close drain.close-order (events, cache, db) one after the other, each flushed first, each within drain.resource-close-timeout", p => p.CloseResources()),
        Akkas(PhaseActorSystemTerminate, "terminate-system", "terminate the ActorSystem; the host stops and the process exits with the drain's exit code"),
    ];

    /// <summary>The name of the marker task every phase runs first.</summary>
    public const string TimelineMarker = "timeline";

    private CoordinatedShutdown? _shutdown;
    private IReadOnlyList<string> _phases = [];
    private ActorRegistry? _registry;
    private ActorSystem? _system;
    private int? _shardsAtDrainStart;
    private long _abandonedBeforeHandOff;

    private static DrainStep Ours(string phase, string task, string what, Func<ShutdownPlan, Task<Done>> work) => new(phase, task, what, work);
    private static DrainStep Akkas(string phase, string task, string what) => new(phase, task, what, null);

    /// <summary>Adds the marker to every phase and the table's own tasks; called once, as the ActorSystem starts.</summary>
    public void Register(ActorSystem system, ActorRegistry registry)
    {
        foreach (var name in drain.CloseOrder)
            if (!ResourceCatalog.Keys.ContainsKey(name))
                throw new ConfigurationException($"actor-service.drain.close-order names '{name}'; known resources: {string.Join(", ", ResourceCatalog.Keys.Keys)}");
        _registry = registry;
        _system = system;
        var shutdown = _shutdown = Get(system);
        _phases = ShutdownBudget.OrderedPhases(system.Settings.Config);
        foreach (var phase in _phases)
        {
            var timeout = shutdown.Timeout(phase);
            shutdown.AddTask(phase, TimelineMarker, () =>
            {
                trigger.DrainStarted(shutdown.ShutdownReason!); // a drain Akka began itself (leave, downing) starts here
                timeline.PhaseStarted(phase, timeout);
                return Task.FromResult(Done.Instance);
            });
        }
        foreach (var step in Steps)
            if (step.Work is { } work) shutdown.AddTask(step.Phase, step.Task, () => work(this));
    }

    /// <summary>The Orleans-style "stages report", logged once at start: phase, timeout, each task and what it does.</summary>
    public void LogStagesReport()
    {
        var shutdown = _shutdown ?? throw new InvalidOperationException("the plan is not registered yet");
        var rows = StageRow.Of(_phases, shutdown.Timeout);
        var total = _phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + shutdown.Timeout(p));
        var text = new StringBuilder();
        foreach (var row in rows)
            text.Append('\n').Append($"  {(row.First ? row.Phase : ""),-34} {(row.First ? ShutdownBudget.Format(row.Timeout) : ""),8}  {(row.Akkas ? row.Task + " (Akka)" : row.Task),-34} {row.What}");
        logger.LogInformation("Shutdown plan ({Count} phases, budget {Budget}, host shutdown timeout {HostTimeout}; every phase runs the '{Marker}' marker first):{Plan}",
            _phases.Count, ShutdownBudget.Format(total), ShutdownBudget.Format(total + ShutdownBudget.HostMargin), TimelineMarker, text.ToString());
    }

    private async Task<Done> StopBeingReady()
    {
        timeline.Note(PhaseBeforeServiceUnbind, "inFlightRequests", gate.InFlight);
        logger.LogInformation("Readiness is 503; serving normally for {LbDelay} so the load balancer stops sending", drain.LbDelay);
        await DelayAtLeast(drain.LbDelay);
        return Done.Instance;
    }

    private async Task<Done> AnnounceDraining()
    {
        // The count is asked before the announcement, so the moves it starts are counted as moves, and awaited after
        // it: a busy region that answers late must not delay the announcement.
        var counting = ShardsMovedAway.TryCountHostedAsync(_registry!.Get<AccountRegion>());
        try
        {
            await PlacementBoard.For(_system!).AnnounceDrainingAsync();
        }
        catch (Exception e) { logger.LogWarning("Could not announce the drain to the shard coordinator ({Error}); the region's hand-off moves the shards", e.GetBaseException().Message); }
        _shardsAtDrainStart = await counting;
        return Done.Instance;
    }

    private async Task<Done> WaitForShardsMoved()
    {
        try
        {
            var moved = await ShardsMovedAway.WaitAsync(_registry!.Get<AccountRegion>(), () => ShardsMovedAway.AnotherMemberIsUp(Cluster.Get(_system!)), drain.ShardMoveDeadline);
            // Most move during lb-delay, before this step starts: count from the drain's first moment.
            var atStart = Math.Max(Math.Max(_shardsAtDrainStart ?? 0, moved.AtStart ?? 0), moved.Left ?? 0);
            if (moved.Left is not { } left)
            {
                logger.LogWarning("Shards moved away by the coordinator: not known, {Why} ({WaitedMs:0} ms waited here); the region's hand-off moves what is left",
                    moved.Why, moved.Took.TotalMilliseconds);
                return Done.Instance;
            }
            timeline.Note(PhaseBeforeClusterShutdown, "shardsAtDrainStart", atStart);
            timeline.Note(PhaseBeforeClusterShutdown, "shardsLeft", left);
            logger.LogInformation("Shards moved away by the coordinator: {Moved} of {AtStart} since the drain began ({WaitedMs:0} ms waited here), {Left} left for the hand-off ({Why})",
                atStart - left, atStart, moved.Took.TotalMilliseconds, left, moved.Why);
        }
        catch (Exception e) { logger.LogWarning("Waiting for the shards to move away failed ({Error}); the region's hand-off moves them", e.GetBaseException().Message); }
        return Done.Instance;
    }

    private Task<Done> CloseIntake()
    {
        gate.Close();
        timeline.Note(PhaseServiceUnbind, "inFlightAtClose", gate.InFlight);
        logger.LogInformation("Intake closed: new requests get 503 + Retry-After + Connection: close; {InFlight} accepted requests still running", gate.InFlight);
        http.Start();
        return Task.FromResult(Done.Instance);
    }

    private async Task<Done> DrainRequests()
    {
        try
        {
            var atStart = gate.InFlight;
            var cancelled = 0;
            if (!await Finishes(gate.Drained, drain.RequestDeadline))
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
            return Done.Instance;
        }
        finally
        {
            http.RequestsDrained(); // the listener may now finish closing, and the host stop Kestrel
        }
    }

    private async Task<Done> DrainBackgroundWork()
    {
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

    private Task<Done> CountEntities()
    {
        _abandonedBeforeHandOff = ledger.AbandonedEntityCommands;
        timeline.Note(PhaseClusterShardingShutdownRegion, "entitiesToHandOff", ledger.ActiveEntityCount);
        return Task.FromResult(Done.Instance);
    }

    private Task<Done> CheckHandOff()
    {
        // Entities get handoff-timeout − 5 s to finish their queues; sharding stops the rest.
        var abandoned = ledger.AbandonedEntityCommands - _abandonedBeforeHandOff;
        if (abandoned > 0) timeline.Abandon($"{abandoned} entity commands were still queued when sharding stopped their entities (answered 'unavailable')");
        return Task.FromResult(Done.Instance);
    }

    private async Task<Done> CloseResources()
    {
        timeline.Note(PhaseBeforeActorSystemTerminate, "entitiesLeft", ledger.ActiveEntityCount);
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
}

/// <summary>One task of the drain: its phase, its name, what it does, and the work (null: a task Akka registers itself).</summary>
internal sealed record DrainStep(string Phase, string Task, string What, Func<ShutdownPlan, Task<Done>>? Work)
{
    public bool IsAkkas => Work is null;
}

/// <summary>
/// One row of the stages report and of docs/drain.md's phase table: a phase in run order, its timeout, and one of its
/// steps (<see cref="First"/> on the phase's first row). A phase without a step runs only the timeline marker.
/// </summary>
internal sealed record StageRow(string Phase, TimeSpan Timeout, bool First, string Task, bool Akkas, string What)
{
    public static IReadOnlyList<StageRow> Of(IReadOnlyList<string> orderedPhases, Func<string, TimeSpan> timeout) =>
        orderedPhases.SelectMany(phase =>
        {
            var steps = ShutdownPlan.Steps.Where(s => s.Phase == phase).ToList();
            return steps.Count == 0
                ? [new StageRow(phase, timeout(phase), true, "-", false, $"only the {ShutdownPlan.TimelineMarker} marker")]
                : steps.Select((s, i) => new StageRow(phase, timeout(phase), i == 0, s.Task, s.IsAkkas, s.What));
        }).ToList();
}

/// <summary>Registration of the drain's services: the plan, its one trigger, the HTTP stop, the timeline, the exit code.</summary>
internal static class ShutdownPlanRegistration
{
    public static IServiceCollection AddShutdownPlan(this IServiceCollection services) => services
        .AddSingleton<ShutdownPlan>().AddSingleton<DrainTrigger>().AddSingleton<HttpListenerStop>()
        .AddSingleton<ShutdownTimeline>().AddSingleton<NodeExitCode>();
}
