using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;

namespace ActorService.Node.Clustering;

/// <summary>
/// How this node finds its cluster, resolved from <c>actor-service.cluster</c> by the configuration loader, and where its
/// management listener is. <see cref="Management"/> says only whether Akka.Management's bootstrap route is hosted there;
/// the listener itself (probes, admin, metrics) is always bound.
/// </summary>
internal sealed record ClusterFormationSettings(string Discovery, bool Management, string ManagementHost, int ManagementPort)
{
    public bool UsesKubernetes => Discovery == "kubernetes";

    /// <summary>The management listener, and the base address other nodes' bootstrap probes use: <c>http://cluster-host:management-port/</c>.</summary>
    public Uri ManagementUri => new($"http://{ManagementHost}:{ManagementPort}/");

    public static ClusterFormationSettings From(Akka.Configuration.Config root) => new(
        root.GetString("actor-service.cluster.discovery"),
        root.GetBoolean("actor-service.cluster.management"),
        root.GetString("akka.management.http.hostname"),
        root.GetInt("akka.management.http.port"));
}

/// <summary>
/// Seeds or Kubernetes bootstrap. With seeds discovery <see cref="LedgerCheckedJoin"/> joins <c>akka.cluster.seed-nodes</c>
/// after the ledger check and nothing here runs. With kubernetes discovery, Akka.Management's <see cref="ClusterBootstrap"/> looks up
/// the pods through the Kubernetes API (<c>akka.discovery.kubernetes-api</c>), probes each one's
/// <c>/bootstrap/seed-nodes</c> (served by <see cref="ManagementEndpoint"/>) and joins the cluster they report, or,
/// when none exists yet and enough pods answered, the pod with the lowest address forms it.
/// </summary>
internal static class ClusterFormation
{
    public static AkkaConfigurationBuilder WithClusterFormation(this AkkaConfigurationBuilder builder, ClusterFormationSettings settings,
        IReadOnlyList<Akka.Actor.Address> seeds, ILogger logger) =>
        builder.AddStartup(async (system, _) =>
        {
            var config = system.Settings.Config;
            if (settings.Management)
            {
                // The route provider contract of Akka.Management: hosting the bootstrap route tells the extension its own
                // contact point, which the join decider compares with the discovered pods to recognise itself.
                ClusterBootstrap.Get(system).Routes(ManagementRouteProviderSettings.Create(settings.ManagementUri, true));
                logger.LogInformation("Management endpoint: {Uri}bootstrap/seed-nodes", settings.ManagementUri);
            }
            if (settings.UsesKubernetes)
            {
                // The Kubernetes discovery's defaults (API server, token and CA paths) under our akka.discovery.kubernetes-api.
                system.Settings.InjectTopLevelFallback(KubernetesDiscovery.DefaultConfiguration());
                await ClusterBootstrap.Get(system).Start();
                logger.LogInformation(
                    "Cluster bootstrap started ({Method} discovery): pods '{Selector}', port '{PortName}'; {Required} must answer before a new cluster forms",
                    config.GetString("akka.discovery.method"),
                    config.GetString("akka.discovery.kubernetes-api.pod-label-selector"),
                    config.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"),
                    config.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
            }
            else
            {
                logger.LogInformation("Cluster formation: seed nodes [{Seeds}], joined after the ledger check", string.Join(", ", seeds));
            }
        });
}
