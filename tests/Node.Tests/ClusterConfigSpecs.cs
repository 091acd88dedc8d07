using ActorService.Node.Clustering;
using ActorService.Node.Config;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>Seeds or Kubernetes bootstrap, chosen by configuration: what each produces, and the combinations refused.</summary>
public sealed class ClusterConfigSpecs
{
    private static Akka.Configuration.Config Load(string[] args, Dictionary<string, string>? env = null) =>
        HoconLoader.Load(NodeOptions.Parse(args, name => env?.GetValueOrDefault(name)));

    [Fact]
    public void Should_join_seed_nodes_without_management_when_no_discovery_is_given()
    {
        var c = Load(["--cluster-port", "4100"]);
        var formation = ClusterFormationSettings.From(c);
        Assert.Equal("seeds", formation.Discovery);
        Assert.False(formation.Management);
        Assert.Equal(["akka.tcp://actor-service@127.0.0.1:4100"], c.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Should_bind_the_management_listener_on_the_cluster_host_without_bootstrap_when_a_management_port_is_given_with_seeds()
    {
        var c = Load(["--cluster-host", "10.0.0.7", "--management-port", "9558", "--seeds", "10.0.0.5:4053"]);
        var formation = ClusterFormationSettings.From(c);
        Assert.False(formation.Management); // the port places the listener; only kubernetes discovery (or management = on) hosts bootstrap
        Assert.Equal(new Uri("http://10.0.0.7:9558/"), formation.ManagementUri);
        Assert.Equal("10.0.0.7", c.GetString("akka.management.http.hostname"));
        Assert.Equal(["akka.tcp://actor-service@10.0.0.5:4053"], c.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Should_bootstrap_through_the_kubernetes_api_without_seed_nodes_when_discovery_is_kubernetes()
    {
        var env = new Dictionary<string, string>
        {
            ["ACTORSERVICE_DISCOVERY"] = "kubernetes",
            ["ACTORSERVICE_CLUSTER_HOST"] = "10.244.1.17",
            ["ACTORSERVICE_MANAGEMENT_PORT"] = "8558",
            ["ACTORSERVICE_K8S_POD_LABEL_SELECTOR"] = "app=actorservice,tier=ledger",
            ["ACTORSERVICE_REQUIRED_CONTACT_POINTS"] = "3",
        };
        var c = Load([], env);
        var formation = ClusterFormationSettings.From(c);
        Assert.True(formation.UsesKubernetes);
        Assert.True(formation.Management);
        Assert.Empty(c.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("kubernetes-api", c.GetString("akka.discovery.method"));
        Assert.Equal("app=actorservice,tier=ledger", c.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal(3, c.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal("management", c.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name"));
        Assert.Equal(new Uri("http://10.244.1.17:8558/"), formation.ManagementUri);
    }

    [Fact]
    public void Should_use_the_documented_defaults_when_kubernetes_discovery_gets_no_other_flag()
    {
        var c = Load(["--discovery", "kubernetes"]);
        Assert.Equal(8558, c.GetInt("akka.management.http.port"));
        Assert.Equal("app=actorservice", c.GetString("akka.discovery.kubernetes-api.pod-label-selector"));
        Assert.Equal(2, c.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    }

    [Theory]
    [InlineData(new[] { "--discovery", "kubernetes", "--seeds", "127.0.0.1:4053" }, "--seeds cannot be combined")]
    [InlineData(new[] { "--discovery", "dns" }, "seeds or kubernetes")]
    [InlineData(new[] { "--discovery", "kubernetes", "--hocon", "actor-service.cluster.management = off" }, "needs Akka.Management")]
    [InlineData(new[] { "--required-contact-points", "two" }, "whole number")]
    public void Should_refuse_the_configuration_when_formation_settings_contradict_each_other(string[] args, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(args));
        Assert.Contains(expected, e.Message);
    }
}
