using ActorService.Deploy.Tests.Manifests;
using k8s.Models;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ActorService.Deploy.Tests;

/// <summary>
/// Where nodes meet over the network (issue 14): the NetworkPolicy admits the remoting port only from the service's
/// own pods, the management port from them and from the monitoring namespace's Prometheus (it scrapes /metrics there),
/// and the HTTP port from anywhere, and the pods run remoting over mutual TLS with the
/// certificate, key and CA of the Secret that deploy/k8s/cert-manager makes.
/// </summary>
public sealed class NetworkSecuritySpecs
{
    private static readonly string[] PeerPorts = ["remoting", "management"];
    private const string TlsSecret = "actorservice-remoting-tls";

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_admit_cluster_and_management_ports_only_from_its_own_pods_when_the_network_policy_is_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        Assert.Empty(PolicyProblems(o));
    }

    [Fact]
    public async Task Should_find_the_cluster_port_open_to_everyone_when_the_policy_rule_loses_its_from_clause()
    {
        // The check above can fail: a copy whose peer rule admits any source is caught.
        var copy = DeployPaths.CopyK8s("policy-open");
        DeployPaths.Mutate(copy, "base/network-policy.yaml", """
                - from:
                    - podSelector:
                        matchLabels:
                          app: actorservice
                  ports:
            """, """
                - ports:
            """);
        var o = await RenderedOverlay.RenderAsync(copy, "local");
        Assert.Contains(PolicyProblems(o), p => p.Contains("remoting", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_run_remoting_over_mutual_tls_from_the_cert_manager_secret_when_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var volume = o.Pod.Volumes.SingleOrDefault(v => v.Secret?.SecretName == TlsSecret);
        Assert.True(volume is not null, $"overlay '{overlay}': no volume mounts the Secret {TlsSecret}");
        var mount = o.Node.VolumeMounts.Single(m => m.Name == volume!.Name);
        foreach (var (variable, key) in new[] { ("ACTORSERVICE_REMOTING_TLS_CERT", "tls.crt"), ("ACTORSERVICE_REMOTING_TLS_KEY", "tls.key"), ("ACTORSERVICE_REMOTING_TLS_CA", "ca.crt") })
        {
            var item = volume!.Secret.Items?.SingleOrDefault(i => i.Key == key);
            Assert.True(item is not null, $"overlay '{overlay}': the {TlsSecret} volume does not project key {key}");
            Assert.Equal($"{mount.MountPath}/{item!.Path}", o.Node.Env.SingleOrDefault(e => e.Name == variable)?.Value);
        }

        // cert-manager's Certificate writes exactly that Secret, for server and client authentication, from a CA issuer.
        var certManager = await CertManagerObjects();
        var certificate = certManager.Single(d => Kind(d) == "Certificate" && Text(d, "spec", "secretName") == TlsSecret);
        var usages = ((YamlSequenceNode)Node(certificate, "spec", "usages")).Children.Select(c => c.ToString()).ToList();
        Assert.Contains("server auth", usages);
        Assert.Contains("client auth", usages);
        var issuer = certManager.Single(d => Kind(d) == "Issuer" && Text(d, "metadata", "name") == Text(certificate, "spec", "issuerRef", "name"));
        var caSecret = Text(issuer, "spec", "ca", "secretName");
        var ca = certManager.Single(d => Kind(d) == "Certificate" && Text(d, "spec", "secretName") == caSecret);
        Assert.Equal("true", Text(ca, "spec", "isCA"));
        Assert.NotEqual(TlsSecret, caSecret); // the CA's key never reaches a pod
        Assert.All(certManager, d => Assert.Equal(o.Deployment.Metadata.NamespaceProperty, Text(d, "metadata", "namespace")));
    }

    /// <summary>What is wrong with the rendered NetworkPolicy, one sentence each (empty: nothing).</summary>
    private static List<string> PolicyProblems(RenderedOverlay o)
    {
        var problems = new List<string>();
        var podLabels = o.Deployment.Spec.Template.Metadata.Labels;
        bool SelectsPods(V1LabelSelector? s) =>
            s?.MatchLabels is { Count: > 0 } m && (s.MatchExpressions?.Count ?? 0) == 0 && m.All(kv => podLabels.TryGetValue(kv.Key, out var v) && v == kv.Value);

        var policies = o.All<V1NetworkPolicy>().Where(p => SelectsPods(p.Spec.PodSelector)).ToList();
        if (policies.Count != 1) return [$"overlay '{o.Name}': {policies.Count} NetworkPolicies select the node pods (expected 1)"];
        var spec = policies[0].Spec;
        if (spec.PolicyTypes?.Contains("Ingress") != true) problems.Add("the policy does not restrict Ingress");
        var rules = spec.Ingress ?? [];
        if (rules.Any(r => r.Ports is null || r.Ports.Count == 0)) problems.Add("a rule without ports admits its sources to every port");

        // Every port a rule names is a port of the node container.
        var containerPorts = o.Node.Ports.ToDictionary(p => p.ContainerPort, p => p.Name);
        int? Resolve(IntOrString? port) =>
            port is null ? null : int.TryParse(port.Value, out var n) ? n : o.Node.Ports.SingleOrDefault(p => p.Name == port.Value)?.ContainerPort;
        foreach (var port in rules.SelectMany(r => r.Ports ?? []))
            if (Resolve(port.Port) is not { } n || !containerPorts.ContainsKey(n))
                problems.Add($"the policy names port '{port.Port?.Value}', which the node container does not have");

        foreach (var (number, name) in containerPorts)
        {
            var covering = rules.Where(r => r.Ports?.Any(p => Resolve(p.Port) == number) == true).ToList();
            if (covering.Count == 0) { problems.Add($"port {name} ({number}) is not admitted by any rule"); continue; }
            var open = covering.Where(r => r.FromProperty is null || r.FromProperty.Count == 0).ToList();
            if (PeerPorts.Contains(name))
            {
                if (open.Count > 0) problems.Add($"port {name} ({number}) is open to every source");
                foreach (var peer in covering.SelectMany(r => r.FromProperty ?? []))
                    if (!(peer.IpBlock is null && peer.NamespaceSelector is null && SelectsPods(peer.PodSelector)) && !(name == "management" && IsMonitoringPrometheus(peer)))
                        problems.Add($"port {name} ({number}) admits a source other than the service's own pods{(name == "management" ? " and the monitoring namespace's Prometheus" : "")}");
            }
            else if (name == "http" && open.Count == 0)
                problems.Add($"the public port {name} ({number}) is not open to clients");
        }
        return problems.Select(p => $"overlay '{o.Name}': {p}").ToList();
    }

    /// <summary>The one outside source the management port admits: Prometheus pods in the monitoring namespace (both selectors in one peer).</summary>
    private static bool IsMonitoringPrometheus(V1NetworkPolicyPeer peer) =>
        peer.IpBlock is null
        && peer.NamespaceSelector?.MatchLabels is { Count: 1 } ns && ns.TryGetValue("kubernetes.io/metadata.name", out var name) && name == "monitoring"
        && peer.PodSelector?.MatchLabels is { Count: 1 } pods && pods.TryGetValue("app.kubernetes.io/name", out var app) && app == "prometheus";

    private static async Task<List<YamlMappingNode>> CertManagerObjects()
    {
        var result = await Cli.RunAsync("kubectl", ["kustomize", Path.Combine(DeployPaths.K8s, "cert-manager")]);
        Assert.True(result.Succeeded, $"deploy/k8s/cert-manager does not render: {result}");
        var stream = new YamlStream();
        stream.Load(new StringReader(result.Stdout));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlNode Node(YamlMappingNode document, params string[] path) =>
        path.Aggregate((YamlNode)document, (node, key) => ((YamlMappingNode)node).Children[new YamlScalarNode(key)]);

    private static string Text(YamlMappingNode document, params string[] path) => Node(document, path).ToString();

    private static string Kind(YamlMappingNode document) => Text(document, "kind");
}
