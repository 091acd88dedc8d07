using Akka.Actor;
using Akka.Hosting;

namespace ActorService.Actors;

/// <summary>
/// Starts Akka's scheduler before any entity can need it. Akka 1.5's <c>HashedWheelTimerScheduler</c> starts its timer
/// loop lazily: the first <c>Schedule</c> call queues the loop with <c>Task.Run</c>, and every caller blocks
/// (<c>Task.Wait</c>) until the loop has run once. When the first callers are many actors starting together on
/// thread-pool threads (a burst of entity activations, each scheduling its load timeout), they all block the pool on a
/// work item queued behind them, and the pool adds only a thread or two a second: the whole process stalled for 22 s
/// with 80 threads blocked there (seen with <c>dotnet-stack</c> in <c>GroupCommitSpecs</c>). One schedule from the
/// starting thread, before any entity runs, avoids it. In a node the cluster's own timers usually start it earlier;
/// this makes it not depend on that.
/// </summary>
public static class SchedulerWarmUp
{
    public static void EnsureStarted(ActorSystem system) =>
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });

    public static AkkaConfigurationBuilder WithSchedulerStarted(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) => EnsureStarted(system));
}
