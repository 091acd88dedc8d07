using ActorService.Actors;
using ActorService.Actors.Drain;
using ActorService.Node.Config;
using ActorService.Node.Health;
using ActorService.Node.Http;
using ActorService.Node.Shutdown;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Admin;

/// <summary>Operator endpoints, all behind <see cref="AdminAuth"/>.</summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminAuth>();

        // Starts the same CoordinatedShutdown as SIGTERM and answers at once: awaiting it here would deadlock,
        // because the drain waits for every in-flight request, this one included.
        admin.MapPost("/drain", (ActorSystem system, ReadinessState readiness) =>
        {
            readiness.MarkDraining();
            _ = CoordinatedShutdown.Get(system).Run(DrainReasons.AdminDrain.Instance);
            return TypedResults.Accepted((string?)null, new { status = "draining", reason = "admin" });
        });

        admin.MapGet("/status", (ActorSystem system, NodeSettings settings, IntakeGate gate, ReadinessState readiness,
            ShutdownTimeline timeline, IBackgroundWork background) =>
        {
            var cluster = Cluster.Get(system);
            return TypedResults.Ok(new
            {
                node = cluster.SelfAddress.ToString(),
                appVersion = settings.AppVersion,
                ready = readiness.IsReady,
                readiness = readiness.Reason,
                shutdownPhase = timeline.CurrentPhase,
                inFlightRequests = gate.InFlight,
                activeEntities = LedgerMetrics.ActiveEntityCount,
                backgroundTasks = background.Running.Select(w => new { w.Name, w.StartedAt }),
                members = cluster.State.Members.Select(m => new
                {
                    address = m.Address.ToString(),
                    status = m.Status.ToString(),
                    appVersion = m.AppVersion.ToString(),
                    reachable = !cluster.State.Unreachable.Contains(m),
                }),
            });
        });
        return app;
    }
}
