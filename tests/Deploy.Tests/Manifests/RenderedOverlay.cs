using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>
/// One overlay as <c>kubectl kustomize</c> renders it: the YAML text and the objects parsed STRICTLY into the official
/// client's typed models (an unknown or misspelt field fails the parse, which kubernetes-models would let through);
/// the Prometheus Operator's kinds into the types of <see cref="MonitoringKinds"/>.
/// </summary>
public sealed class RenderedOverlay
{
    public const string AppName = "actorservice";
    public const string NodeContainer = "node";

    private static readonly ConcurrentDictionary<string, Lazy<Task<RenderedOverlay>>> Cache = new();

    private RenderedOverlay(string name, string yaml, IReadOnlyList<object> objects)
    {
        Name = name;
        Yaml = yaml;
        Objects = objects;
    }

    public string Name { get; }
    public string Yaml { get; }
    public IReadOnlyList<object> Objects { get; }

    /// <summary>The repository's overlay, rendered once per test run.</summary>
    public static Task<RenderedOverlay> OfRepo(string overlay) =>
        Cache.GetOrAdd(overlay, o => new Lazy<Task<RenderedOverlay>>(() => RenderAsync(DeployPaths.K8s, o))).Value;

    /// <summary>Renders an overlay of any copy of deploy/k8s.</summary>
    public static async Task<RenderedOverlay> RenderAsync(string k8sRoot, string overlay)
    {
        var dir = Path.Combine(k8sRoot, "overlays", overlay);
        var result = await Cli.RunAsync("kubectl", ["kustomize", dir]);
        if (!result.Succeeded) throw new InvalidOperationException($"overlay '{overlay}' does not render: {result}");
        return new RenderedOverlay(overlay, result.Stdout, ParseStrict(overlay, result.Stdout));
    }

    /// <summary>Typed objects; throws naming the field when the YAML has one the Kubernetes API does not know.</summary>
    public static IReadOnlyList<object> ParseStrict(string overlay, string yaml)
    {
        try { return KubernetesYaml.LoadAllFromString(yaml, MonitoringKinds.TypeMap, strict: true); }
        catch (Exception e)
        {
            throw new InvalidOperationException($"overlay '{overlay}' renders objects the Kubernetes API would not accept: {e.Message}", e);
        }
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>(string name) where T : IMetadata<V1ObjectMeta>
    {
        var found = All<T>().Where(o => o.Metadata.Name == name).ToList();
        if (found.Count != 1)
            throw new InvalidOperationException($"overlay '{Name}' renders {found.Count} {typeof(T).Name} named '{name}' (expected 1); it has: " +
                string.Join(", ", Objects.OfType<IMetadata<V1ObjectMeta>>().Select(o => $"{o.GetType().Name}/{o.Metadata.Name}")));
        return found[0];
    }

    public V1Deployment Deployment => Single<V1Deployment>(AppName);
    public V1PodSpec Pod => Deployment.Spec.Template.Spec;

    public V1Container Node => Pod.Containers.SingleOrDefault(c => c.Name == NodeContainer)
        ?? throw new InvalidOperationException($"overlay '{Name}': the Deployment has no container named '{NodeContainer}'");

    /// <summary>A ConfigMap or Secret as the pod sees it: kustomize appends a content hash to generated names.</summary>
    public V1ConfigMap? ConfigMap(string name) => All<V1ConfigMap>().SingleOrDefault(c => c.Metadata.Name == name);
    public V1Secret? Secret(string name) => All<V1Secret>().SingleOrDefault(s => s.Metadata.Name == name);

    /// <summary>The containerPort a probe or Service names (named ports are resolved against the node container).</summary>
    public int ContainerPort(IntOrString port) => ContainerPort(port.Value);

    public int ContainerPort(string value)
    {
        if (int.TryParse(value, out var number)) return number;
        return Node.Ports?.SingleOrDefault(p => p.Name == value)?.ContainerPort
            ?? throw new InvalidOperationException($"overlay '{Name}': no containerPort named '{value}' on the node container");
    }

    public int NamedPort(string name) => ContainerPort(name);
}
