using System.Runtime.InteropServices;
using ActorService.Actors;
using ActorService.Node.Config;
using ActorService.Node.Health;
using ActorService.Node.Logging;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;

namespace ActorService.Node.Shutdown;

/// <summary>
/// Puts CoordinatedShutdown in charge of the host's stop. By default ASP.NET Core stops Kestrel first, before any
/// phase runs (DRAIN.md). This lifecycle service's <see cref="StoppingAsync"/> runs before any hosted service's
/// StopAsync: it reports the drain started (<see cref="DrainTrigger"/>, which starts CoordinatedShutdown or joins the
/// one already running) and holds the host until the HTTP listener has stopped (<see cref="HttpListenerStop"/>), so
/// Kestrel is only stopped by the plan's own steps, in order. <see cref="StoppedAsync"/> runs last, after
/// Akka.Hosting awaited the whole shutdown: it writes the report and sets the exit code.
/// </summary>
internal sealed class HostShutdownBridge(
    ActorSystem system,
    ActorRegistry registry,
    ShutdownPlan plan,
    DrainTrigger trigger,
    HttpListenerStop http,
    ShutdownTimeline timeline,
    ReadinessState readiness,
    NodeSettings settings,
    LogLevelReloader reloader,
    NodeExitCode exitCode,
    ILogger<HostShutdownBridge> logger) : IHostedLifecycleService
{
    private readonly List<PosixSignalRegistration> _signals = [];
    private volatile string? _signal;
    private bool _started;
    private volatile bool _memberUp;
    private bool _endedByItself;

    public Task StartingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken ct)
    {
        _started = registry.TryGet<AccountRegion>(out _);
        // Registered after the host's console lifetime, so these run first: they only record which signal arrived
        // (the console lifetime then stops the host); SIGHUP reloads the log level instead of killing the process.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            _signals.Add(PosixSignalRegistration.Create(signal, ctx => _signal ??= ctx.Signal.ToString()));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            ctx.Cancel = true;
            reloader.Reload("SIGHUP");
        }));
        Cluster.Get(system).RegisterOnMemberUp(() =>
        {
            _memberUp = true;
            readiness.MarkMemberUp();
            logger.LogInformation("Member Up: {Address} (app-version {AppVersion}); readiness {Ready}",
                Cluster.Get(system).SelfAddress, settings.AppVersion, readiness.IsReady ? "200" : "503: " + readiness.Reason);
        });
        plan.LogStagesReport();
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken ct)
    {
        // Nobody asked if the actor system ended (or began ending) by itself before the host was told to stop: Akka.Hosting
        // then stops the host, and the drain started below would otherwise be recorded as a plain host stop.
        var shutdown = CoordinatedShutdown.Get(system);
        _endedByItself = _signal is null && (system.WhenTerminated.IsCompleted || shutdown.ShutdownReason is { } early && !WasAskedToStop(early));
        trigger.DrainStarted(_signal is { } s ? new DrainReasons.Signal(s) : DrainReasons.HostStop.Instance);
        // A node whose actor system ended without draining (it failed to start) has no listener stop to wait for.
        await Task.WhenAny(http.HostMayStop, system.WhenTerminated);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private static bool WasAskedToStop(CoordinatedShutdown.Reason? reason) =>
        reason is DrainReasons.Signal or DrainReasons.HostStop or DrainReasons.AdminDrain;

    public async Task StoppedAsync(CancellationToken ct)
    {
        await Task.WhenAny(system.WhenTerminated, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        var report = timeline.Finish(Cluster.Get(system).SelfAddress.ToString(), draft =>
            reason is DrainReasons.LedgerMismatch ? ExitCodes.LedgerMismatch
            : !_started ? ExitCodes.StartupFailed
            : reason is CoordinatedShutdown.ClusterDowningReason ? ExitCodes.Downed
            // Stopped by itself before it ever became a member, nobody having asked (Akka ends an ActorSystem whose
            // outbound TLS handshake was refused): it never served, so it must not look like a clean drain.
            : !_memberUp && (_endedByItself || !WasAskedToStop(reason)) ? ExitCodes.StartupFailed
            : draft.Abandoned.Count > 0 || draft.Phases.Any(p => p.TimedOut) ? ExitCodes.DeadlineHit
            : ExitCodes.Clean);
        exitCode.Set(report.ExitCode);
        logger.LogInformation("Shutdown {ShutdownId} finished in {TotalMs:0} ms, exit code {ExitCode}: {Report}",
            report.ShutdownId, report.TotalMs, report.ExitCode, report.ToJson());
        if (settings.Drain.ReportPath.Length > 0)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Drain.ReportPath))!);
                await File.WriteAllTextAsync(settings.Drain.ReportPath, report.ToJson(), CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Could not write the shutdown report to {Path}", settings.Drain.ReportPath);
            }
        }
        foreach (var r in _signals) r.Dispose();
    }
}
