using k8s;
using k8s.Models;

namespace ActorService.Deploy.Tests.Manifests;

// The Prometheus Operator's custom resources, as far as the manifests use them: typed, so the strict parse of a
// rendered overlay rejects a misspelt field in them as it does in the built-in kinds (the official client has no
// models for CRDs). The rule-file types also read deploy/prometheus/actorservice-alerts.yaml, which is exactly a
// PrometheusRule's spec.

/// <summary>monitoring.coreos.com/v1 PrometheusRule: a Prometheus rule file as a Kubernetes object.</summary>
public sealed class PrometheusRule : IKubernetesObject<V1ObjectMeta>
{
    public const string ApiGroupVersion = "monitoring.coreos.com/v1";
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public RuleFile Spec { get; set; } = new();
}

/// <summary>A Prometheus rule file (<c>groups:</c>), the same shape as a PrometheusRule's spec.</summary>
public sealed class RuleFile
{
    public List<RuleGroup> Groups { get; set; } = [];

    public IEnumerable<AlertRule> Alerts => Groups.SelectMany(g => g.Rules).Where(r => r.Alert is not null);
}

/// <summary>One rule group.</summary>
public sealed class RuleGroup
{
    public string Name { get; set; } = "";
    public string? Interval { get; set; }
    public List<AlertRule> Rules { get; set; } = [];
}

/// <summary>One alerting (or recording) rule.</summary>
public sealed class AlertRule
{
    public string? Alert { get; set; }
    public string? Record { get; set; }
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public Dictionary<string, string> Annotations { get; set; } = [];
}

/// <summary>monitoring.coreos.com/v1 PodMonitor: which pods the Operator's Prometheus scrapes, on which port and path.</summary>
public sealed class PodMonitor : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public PodMonitorSpec Spec { get; set; } = new();
}

/// <summary>PodMonitor spec.</summary>
public sealed class PodMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();
    public List<PodMetricsEndpoint> PodMetricsEndpoints { get; set; } = [];
}

/// <summary>One scrape endpoint of a PodMonitor.</summary>
public sealed class PodMetricsEndpoint
{
    public string? Port { get; set; }
    public string? Path { get; set; }
    public string? Interval { get; set; }
    public string? ScrapeTimeout { get; set; }
}

/// <summary>The CRD kinds for <see cref="KubernetesYaml"/>'s type map ("apiVersion/kind").</summary>
public static class MonitoringKinds
{
    public static readonly Dictionary<string, Type> TypeMap = new()
    {
        [$"{PrometheusRule.ApiGroupVersion}/PrometheusRule"] = typeof(PrometheusRule),
        [$"{PrometheusRule.ApiGroupVersion}/PodMonitor"] = typeof(PodMonitor),
    };
}
