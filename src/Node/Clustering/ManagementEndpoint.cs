using System.Collections.Immutable;
using ActorService.Node.Health;
using ActorService.Node.Http;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Newtonsoft.Json;

namespace ActorService.Node.Clustering;

/// <summary>
/// The Akka.Management HTTP contract that cluster bootstrap needs, <c>GET /bootstrap/seed-nodes</c>, served by the
/// node's own Kestrel on the management port (bound to the cluster host address).
/// <para>
/// Why not Akka.Management's own server: it runs on Akka.Http.Shim over Ceen.Httpd 0.9.9, which the package registry
/// here does not serve; the 0.9.10 it falls back to (NU1603) changed <c>HttpServer.ListenAsync</c>, and binding fails
/// with <see cref="MissingMethodException"/>. The answer is Akka.Management's own <see cref="HttpBootstrapJsonProtocol"/>
/// types serialised with Newtonsoft.Json, exactly as its route writes them and its probe reads them.
/// </para>
/// Mapped only while <c>actor-service.cluster.management</c> is on, and on the management listener only: the public
/// port answers it as an unknown route.
/// </summary>
internal static class ManagementEndpoint
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    public static IEndpointRouteBuilder MapBootstrapApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(SeedNodesPath, SeedNodesAsync).OnManagementListener().ExcludeFromDescription(); // Akka.Management's contract, not ours to document
        return app;
    }

    private static async Task SeedNodesAsync(HttpContext context, ActorSystem system, ReadinessState readiness)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        // A node on its way out must not be offered as a seed. (Before it joined, its own status reads Removed: that
        // node answers with an empty member list, which is what lets the lowest-addressed pod form a new cluster.)
        if (readiness.IsDraining || cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("leaving the cluster");
            return;
        }
        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfAddress, members)));
    }
}
