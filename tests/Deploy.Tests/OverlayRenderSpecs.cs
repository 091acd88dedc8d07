using System.Text.RegularExpressions;
using ActorService.Deploy.Tests.Manifests;
using ActorService.TestSupport;
using k8s.Models;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>Every overlay renders with kustomize and carries what a rolling update without errors depends on.</summary>
public sealed class OverlayRenderSpecs
{
    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_render_every_object_the_node_needs_when_kustomize_builds_the_overlay(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var kinds = o.Objects.OfType<IMetadata<V1ObjectMeta>>().Select(x => $"{x.GetType().Name}/{x.Metadata.Name}").ToList();
        foreach (var expected in new[] { "V1Deployment/actorservice", "V1Service/actorservice", "V1Service/actorservice-peers",
                     "V1ServiceAccount/actorservice", "V1Role/actorservice-pod-reader", "V1RoleBinding/actorservice-pod-reader",
                     "V1PodDisruptionBudget/actorservice" })
            Assert.True(kinds.Contains(expected), $"overlay '{overlay}' does not render {expected}; it renders: {string.Join(", ", kinds)}");
        Assert.All(o.Objects.OfType<IMetadata<V1ObjectMeta>>().Where(x => x is not V1Namespace),
            x => Assert.False(string.IsNullOrEmpty(x.Metadata.NamespaceProperty), $"overlay '{overlay}': {x.GetType().Name}/{x.Metadata.Name} has no namespace"));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_carry_the_repository_hocon_conf_when_the_config_map_is_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var volume = o.Pod.Volumes.Single(v => v.Name == "config").ConfigMap;
        var map = o.ConfigMap(volume.Name);
        Assert.True(map is not null, $"overlay '{overlay}': the config volume names ConfigMap '{volume.Name}', which is not rendered");
        Assert.True(map!.Data.TryGetValue("hocon.conf", out var rendered), $"overlay '{overlay}': ConfigMap {map.Metadata.Name} has no hocon.conf");
        Assert.True(rendered == File.ReadAllText(Repo.HoconFile),
            $"overlay '{overlay}': the pods' hocon.conf differs from the repository's hocon.conf. Run deploy/k8s/sync-hocon.sh and commit deploy/k8s/base/hocon.conf.");
        var configPath = o.Node.Env.Single(e => e.Name == "ACTORSERVICE_CONFIG").Value;
        var mount = o.Node.VolumeMounts.Single(m => m.Name == "config");
        Assert.Equal($"{mount.MountPath}/hocon.conf", configPath);
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_replace_one_pod_at_a_time_without_losing_capacity_when_rolling(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var spec = o.Deployment.Spec;
        Assert.Equal(3, spec.Replicas);
        Assert.Equal("RollingUpdate", spec.Strategy.Type);
        Assert.Equal("0", spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.Equal("1", spec.Strategy.RollingUpdate.MaxSurge.Value);
        var pdb = o.Single<V1PodDisruptionBudget>("actorservice");
        Assert.True(pdb.Spec.MaxUnavailable?.Value == "1" && pdb.Spec.MinAvailable is null,
            $"overlay '{overlay}': the PodDisruptionBudget must allow exactly one voluntary disruption (keep-majority keeps 2 of 3)");
        AssertSelects(o, pdb.Spec.Selector.MatchLabels, "PodDisruptionBudget");
        var contactPoints = int.Parse(Env(o, "ACTORSERVICE_REQUIRED_CONTACT_POINTS"));
        Assert.True(contactPoints >= 1 && contactPoints <= spec.Replicas,
            $"overlay '{overlay}': ACTORSERVICE_REQUIRED_CONTACT_POINTS = {contactPoints} but replicas = {spec.Replicas}: the first cluster could never form");
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_tag_each_release_with_one_version_when_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var labels = o.Deployment.Spec.Template.Metadata.Labels;
        Assert.True(labels.TryGetValue("app.kubernetes.io/version", out var version) && Regex.IsMatch(version, @"^\d+\.\d+\.\d+$"),
            $"overlay '{overlay}': the pod template needs an app.kubernetes.io/version label of the form x.y.z (akka.cluster.app-version compares versions)");
        var image = o.Node.Image;
        var tag = image.Contains('@') ? null : image[(image.LastIndexOf('/') + 1)..].Split(':').ElementAtOrDefault(1);
        Assert.True(tag == version, $"overlay '{overlay}': image '{image}' and version label '{version}' disagree: a release sets both (deploy/README.md)");
        var appVersion = o.Node.Env.Single(e => e.Name == "ACTORSERVICE_APP_VERSION");
        Assert.Equal("metadata.labels['app.kubernetes.io/version']", appVersion.ValueFrom?.FieldRef?.FieldPath);
        Assert.Equal(version, PodEnvironment.Of(o).Get("ACTORSERVICE_APP_VERSION"));
        Assert.False(o.Deployment.Spec.Selector.MatchLabels.ContainsKey("app.kubernetes.io/version"),
            $"overlay '{overlay}': the version must not be in the Deployment's selector (selectors are immutable; every release would fail to apply)");
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_take_credentials_only_from_secrets_when_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var credentialNames = new Regex("TOKEN|PASSWORD|POSTGRES|REDIS|SECRET", RegexOptions.IgnoreCase);
        foreach (var env in o.Node.Env.Where(e => credentialNames.IsMatch(e.Name)))
        {
            if (env.ValueFrom?.SecretKeyRef is not null) continue;
            var mount = o.Node.VolumeMounts.FirstOrDefault(m => env.Value?.StartsWith(m.MountPath + "/", StringComparison.Ordinal) == true);
            var fromSecretFile = mount is not null && o.Pod.Volumes.Single(v => v.Name == mount.Name).Secret is not null;
            Assert.True(fromSecretFile, $"overlay '{overlay}': {env.Name} is neither from a Secret nor a file in a mounted Secret");
        }
        // No ConfigMap carries a credential: no connection-string password, and the HOCON credential settings stay empty.
        foreach (var (map, key, text) in o.All<V1ConfigMap>().SelectMany(m => m.Data.Select(kv => (m.Metadata.Name, kv.Key, kv.Value))))
        {
            Assert.DoesNotMatch(new Regex(@"password\s*=", RegexOptions.IgnoreCase), text);
            if (!key.EndsWith(".conf", StringComparison.Ordinal)) continue;
            var hocon = Akka.Configuration.ConfigurationFactory.ParseString(text);
            foreach (var path in new[] { "actor-service.admin.token", "actor-service.db.postgres.connection-string", "actor-service.cache.redis" })
                Assert.True(!hocon.HasPath(path) || hocon.GetString(path, "") == "",
                    $"overlay '{overlay}': ConfigMap {map} sets {path} in {key}; credentials belong in the Secret");
        }

        // Every key the pod reads exists: in the rendered Secret (local), or in the example of the Secret made by hand.
        var secretName = o.Pod.Volumes.Single(v => v.Name == "secrets").Secret.SecretName;
        var keys = o.Node.Env.Where(e => e.ValueFrom?.SecretKeyRef is { } r && r.Optional != true).Select(e => e.ValueFrom.SecretKeyRef.Key)
            .Concat(o.Pod.Volumes.Single(v => v.Name == "secrets").Secret.Items.Select(i => i.Key)).ToHashSet();
        var rendered = o.Secret(secretName);
        var example = Path.Combine(DeployPaths.K8s, "overlays", overlay, "secret.example.env");
        IEnumerable<string> available = rendered is not null
            ? rendered.Data.Keys
            : File.Exists(example)
                ? File.ReadAllLines(example).Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#')).Select(l => l[..l.IndexOf('=')])
                : throw new Xunit.Sdk.XunitException($"overlay '{overlay}' renders no Secret '{secretName}' and has no secret.example.env listing its keys");
        Assert.Empty(keys.Except(available));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_grant_only_reading_pods_in_its_namespace_when_discovery_runs(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        Assert.Empty(o.All<V1ClusterRole>());
        Assert.Empty(o.All<V1ClusterRoleBinding>());
        var role = o.Single<V1Role>("actorservice-pod-reader");
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());
        var binding = o.Single<V1RoleBinding>("actorservice-pod-reader");
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", o.Pod.ServiceAccountName, o.Deployment.Metadata.NamespaceProperty),
            (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_expose_http_on_a_cluster_ip_and_peers_on_a_headless_service_when_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var http = o.Single<V1Service>("actorservice");
        Assert.Equal("ClusterIP", http.Spec.Type ?? "ClusterIP");
        AssertSelects(o, http.Spec.Selector, "Service actorservice");
        Assert.Equal(o.NamedPort("http"), o.ContainerPort(Assert.Single(http.Spec.Ports).TargetPort));

        var peers = o.Single<V1Service>("actorservice-peers");
        Assert.Equal("None", peers.Spec.ClusterIP);
        Assert.True(peers.Spec.PublishNotReadyAddresses == true,
            $"overlay '{overlay}': the headless Service must publish not-ready pods, or starting pods (not ready until they joined) never find each other");
        AssertSelects(o, peers.Spec.Selector, "Service actorservice-peers");
        Assert.Contains(peers.Spec.Ports, p => o.ContainerPort(p.TargetPort) == o.NamedPort("management"));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_spread_pods_across_zones_and_machines_when_scheduled(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var constraints = o.Pod.TopologySpreadConstraints ?? [];
        foreach (var key in new[] { "topology.kubernetes.io/zone", "kubernetes.io/hostname" })
        {
            var c = constraints.Where(t => t.TopologyKey == key).ToList();
            Assert.True(c.Count == 1, $"overlay '{overlay}': expected one topology spread constraint on {key}, found {c.Count}");
            Assert.Equal(1, c[0].MaxSkew);
            AssertSelects(o, c[0].LabelSelector.MatchLabels, $"spread constraint {key}");
            if (overlay == "production")
                Assert.True(c[0].WhenUnsatisfiable == "DoNotSchedule", $"production must refuse to stack pods on one {key}");
        }
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_configure_the_node_for_kubernetes_when_the_pod_starts(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        Assert.True(o.Pod.EnableServiceLinks == false,
            $"overlay '{overlay}': enableServiceLinks must be false, or Kubernetes injects ACTORSERVICE_*_PORT variables the node would read");
        Assert.Equal("0.0.0.0", Env(o, "ACTORSERVICE_HTTP_HOST"));
        Assert.Equal("status.podIP", o.Node.Env.Single(e => e.Name == "ACTORSERVICE_CLUSTER_HOST").ValueFrom?.FieldRef?.FieldPath);
        Assert.Equal("kubernetes", Env(o, "ACTORSERVICE_DISCOVERY"));
        Assert.Equal("json", Env(o, "ACTORSERVICE_LOG_FORMAT"));
        var selector = Env(o, "ACTORSERVICE_K8S_POD_LABEL_SELECTOR").Split('=');
        Assert.True(o.Deployment.Spec.Template.Metadata.Labels.TryGetValue(selector[0], out var v) && v == selector[1],
            $"overlay '{overlay}': ACTORSERVICE_K8S_POD_LABEL_SELECTOR does not select the Deployment's own pods");
        Assert.Equal(int.Parse(Env(o, "ACTORSERVICE_HTTP_PORT")), o.NamedPort("http"));
        Assert.Equal(int.Parse(Env(o, "ACTORSERVICE_CLUSTER_PORT")), o.NamedPort("remoting"));
        Assert.Equal(int.Parse(Env(o, "ACTORSERVICE_MANAGEMENT_PORT")), o.NamedPort("management"));
        foreach (var (name, probe) in Probes(o))
            Assert.True(probe?.HttpGet?.Port.Value == "management", $"overlay '{overlay}': the {name} probe must use the named port 'management' (a full public port must not fail it)");
        var security = o.Pod.SecurityContext;
        Assert.True(security.RunAsNonRoot == true && security.RunAsUser > 0, $"overlay '{overlay}': pods must run as a non-root user");
        Assert.Equal(false, o.Node.SecurityContext.AllowPrivilegeEscalation);
    }

    public static IEnumerable<(string Name, V1Probe? Probe)> Probes(RenderedOverlay o) =>
        [("startup", o.Node.StartupProbe), ("readiness", o.Node.ReadinessProbe), ("liveness", o.Node.LivenessProbe)];

    private static string Env(RenderedOverlay o, string name) =>
        o.Node.Env.SingleOrDefault(e => e.Name == name)?.Value
        ?? throw new Xunit.Sdk.XunitException($"overlay '{o.Name}': the node container sets no literal {name}");

    private static void AssertSelects(RenderedOverlay o, IDictionary<string, string> selector, string what)
    {
        var labels = o.Deployment.Spec.Template.Metadata.Labels;
        Assert.True(selector.Count > 0 && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value),
            $"overlay '{o.Name}': the {what} selector [{string.Join(",", selector.Select(kv => $"{kv.Key}={kv.Value}"))}] does not select the node pods");
    }
}
