using ActorService.Actors;
using ActorService.Actors.Drain;
using ActorService.Node.Config;
using ActorService.Node.Diagnostics;
using ActorService.Node.Health;
using ActorService.Node.Http;
using ActorService.Node.OpenApi;
using ActorService.Node.Shutdown;
using Akka.Actor;
using Akka.Cluster;

namespace ActorService.Node.Admin;

/// <summary>Operator endpoints, all behind <see cref="AdminAuth"/>.</summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").OnManagementListener().AddEndpointFilter<AdminAuth>()
            .WithTags("admin").RequiresAdminToken().ProducesProblems("unauthorized", "forbidden", "admin-disabled", "draining");

        // Starts the same drain as SIGTERM and answers at once: awaiting it here would deadlock, because the drain
        // waits for every in-flight request, this one included.
        admin.MapPost("/drain", (DrainTrigger trigger) =>
        {
            trigger.DrainStarted(DrainReasons.AdminDrain.Instance);
            return TypedResults.Accepted((string?)null, new { status = "draining", reason = "admin" });
        }).WithName("drain").WithSummary("Start the same coordinated shutdown as SIGTERM; answers at once");

        // Tells a member (this node or another) to leave the cluster gracefully: the member that leaves runs the same
        // drain as SIGTERM (reason "left-the-cluster") and exits. The operator's "take that node out" button.
        admin.MapPost("/cluster/leave", IResult (string address, ActorSystem system) =>
        {
            Address target;
            try { target = Address.Parse(address); }
            catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
            {
                return Problems.Create(400, "invalid-address", "Invalid member address", "Expected an Akka address such as akka.tcp://actor-service@127.0.0.1:4053.");
            }
            var cluster = Cluster.Get(system);
            if (!cluster.State.Members.Any(m => m.Address == target))
                return Problems.Create(404, "member-not-found", "Not a member", $"{target} is not a member of this cluster.");
            cluster.Leave(target);
            return TypedResults.Accepted((string?)null, new MemberLeaving("leaving", target.ToString()));
        }).WithName("leaveCluster").WithSummary("Make a member (this node or another) leave the cluster gracefully; it runs the same drain")
            .Produces<MemberLeaving>(StatusCodes.Status202Accepted).ProducesProblems("invalid-address", "member-not-found");

        // Everything an operator asks first, in one JSON document; during a drain it names the phase running now.
        // Served until intake closes (service-unbind): like every non-probe request it then gets 503.
        admin.MapGet("/status", async (ActorSystem system, NodeSettings settings, IntakeGate gate, ReadinessState readiness,
            ShutdownTimeline timeline, IBackgroundWork background, ShardStats shards, LedgerMetrics ledger, CancellationToken ct) =>
        {
            var cluster = Cluster.Get(system);
            var state = cluster.State;
            var hosted = await shards.RefreshAsync(ct);
            return TypedResults.Ok(new
            {
                node = cluster.SelfAddress.ToString(),
                appVersion = settings.AppVersion,
                ready = readiness.IsReady,
                readiness = readiness.Reason,
                draining = readiness.IsDraining,
                shutdownId = timeline.HasBegun ? timeline.ShutdownId : null,
                shutdownPhase = timeline.CurrentPhase,
                drainElapsedMs = timeline.HasBegun ? Math.Round(timeline.ElapsedMs) : (double?)null,
                inFlightRequests = gate.InFlight,
                refusedRequests = gate.Refused,
                activeEntities = ledger.ActiveEntityCount,
                entityMailboxDepth = ledger.EntityMailboxDepth,
                shards = hosted.Shards,
                shardIds = hosted.ShardIds,
                outboxBacklog = ledger.OutboxBacklog,
                backgroundTasks = background.Running.Select(w => new { w.Name, w.StartedAt }),
                members = state.Members.Select(m => new
                {
                    address = m.Address.ToString(),
                    status = m.Status.ToString(),
                    appVersion = m.AppVersion.ToString(),
                    reachable = !state.Unreachable.Contains(m),
                    leader = m.Address.Equals(state.Leader),
                }),
            });
        }).WithName("getStatus").WithSummary("The node, its cluster's members, the drain phase, in-flight requests, entities, shards, outbox");
        return app;
    }

    /// <summary>The answer to <c>POST /admin/cluster/leave</c>.</summary>
    public sealed record MemberLeaving(string Status, string Address);
}
