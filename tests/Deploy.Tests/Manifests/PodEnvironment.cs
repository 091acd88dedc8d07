using ActorService.TestSupport;
using k8s.Models;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>
/// The node container's environment as the kubelet would build it from the rendered objects, minus credentials:
/// literal values; ConfigMap keys (from the rendered ConfigMaps); the pod's own fields (a placeholder pod IP, the
/// template's labels). Files the pod reads from a mounted ConfigMap are written to a folder and the variable points
/// there; variables from Secrets, or naming a file in a mounted Secret, are left out (they carry credentials, which
/// take no part in any timing). Anything this class cannot resolve fails loudly instead of being skipped.
/// </summary>
public sealed class PodEnvironment
{
    public const string PlaceholderPodIp = "10.0.0.10";

    private PodEnvironment(IReadOnlyDictionary<string, string> values, IReadOnlyList<string> credentials)
    {
        Values = values;
        Credentials = credentials;
    }

    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>Variables left out because they come from a Secret.</summary>
    public IReadOnlyList<string> Credentials { get; }

    public string? Get(string name) => Values.GetValueOrDefault(name);

    public static PodEnvironment Of(RenderedOverlay overlay)
    {
        var node = overlay.Node;
        if (node.EnvFrom is { Count: > 0 })
            throw new NotSupportedException($"overlay '{overlay.Name}': envFrom is not resolved by the deploy checks; list the variables one by one");
        var values = new Dictionary<string, string>();
        var credentials = new List<string>();
        foreach (var env in node.Env ?? [])
        {
            var resolved = Resolve(overlay, env);
            if (resolved is null) credentials.Add(env.Name);
            else values[env.Name] = resolved;
        }

        // Files under mounted volumes: materialise ConfigMap files, drop Secret files.
        var files = Repo.NewWorkDir($"pod-files-{overlay.Name}");
        foreach (var (name, value) in values.ToList())
        {
            var mount = node.VolumeMounts?.FirstOrDefault(m => value.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal));
            if (mount is null) continue;
            var volume = overlay.Pod.Volumes.Single(v => v.Name == mount.Name);
            var key = value[(mount.MountPath.TrimEnd('/').Length + 1)..];
            if (volume.Secret is not null)
            {
                values.Remove(name);
                credentials.Add(name);
            }
            else if (volume.ConfigMap is not null)
            {
                var map = overlay.ConfigMap(volume.ConfigMap.Name)
                    ?? throw new InvalidOperationException($"overlay '{overlay.Name}': {name} names {value}, but ConfigMap '{volume.ConfigMap.Name}' is not rendered");
                var content = Lookup(map.Data, key)
                    ?? throw new InvalidOperationException($"overlay '{overlay.Name}': {name} names {value}, but ConfigMap '{map.Metadata.Name}' has no key '{key}'");
                var path = Path.Combine(files, key);
                File.WriteAllText(path, content);
                values[name] = path;
            }
        }
        return new PodEnvironment(values, credentials);
    }

    private static string? Lookup(IDictionary<string, string>? values, string key) =>
        values is not null && values.TryGetValue(key, out var value) ? value : null;

    private static string? Resolve(RenderedOverlay overlay, V1EnvVar env)
    {
        if (env.ValueFrom is null) return env.Value ?? "";
        var from = env.ValueFrom;
        if (from.SecretKeyRef is not null) return null;
        if (from.ConfigMapKeyRef is { } cm)
        {
            var map = overlay.ConfigMap(cm.Name);
            var value = Lookup(map?.Data, cm.Key);
            if (value is null && cm.Optional != true)
                throw new InvalidOperationException($"overlay '{overlay.Name}': {env.Name} reads key '{cm.Key}' of ConfigMap '{cm.Name}', which is not rendered: the pod would not start");
            return value ?? "";
        }
        if (from.FieldRef is { } field)
        {
            var path = field.FieldPath;
            const string labelPrefix = "metadata.labels['";
            if (path == "status.podIP") return PlaceholderPodIp;
            if (path.StartsWith(labelPrefix, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
                return Lookup(overlay.Deployment.Spec.Template.Metadata.Labels, path[labelPrefix.Length..^2]) ?? "";
            if (path == "metadata.name") return $"{RenderedOverlay.AppName}-pod";
            if (path == "metadata.namespace") return overlay.Deployment.Metadata.NamespaceProperty ?? "default";
            throw new NotSupportedException($"overlay '{overlay.Name}': {env.Name} uses fieldRef '{path}', which the deploy checks do not resolve");
        }
        throw new NotSupportedException($"overlay '{overlay.Name}': {env.Name} has a valueFrom the deploy checks do not resolve");
    }
}
