using ActorService.TestSupport;
using Xunit;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>Where the deployment files live in the repository.</summary>
public static class DeployPaths
{
    public static string Deploy => Path.Combine(Repo.Root, "deploy");
    public static string K8s => Path.Combine(Deploy, "k8s");
    public static string Dockerfile => Path.Combine(Deploy, "Dockerfile");
    public static string Validator => Path.Combine(Deploy, "validate");
    public static string Prometheus => Path.Combine(Deploy, "prometheus");
    public static string AlertRules => Path.Combine(Prometheus, "actorservice-alerts.yaml");
    public static string AlertRuleTests => Path.Combine(Prometheus, "actorservice-alerts.test.yaml");
    public static string Dashboard => Path.Combine(Deploy, "grafana", "actorservice-dashboard.json");

    /// <summary>Every overlay folder under deploy/k8s/overlays: a new overlay is checked without touching the tests.</summary>
    public static IReadOnlyList<string> OverlayNames(string? k8sRoot = null) =>
        Directory.GetDirectories(Path.Combine(k8sRoot ?? K8s, "overlays"))
            .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>xunit data: one row per overlay.</summary>
    public static TheoryData<string> Overlays => new(OverlayNames());

    /// <summary>A copy of deploy/k8s to change one number in, for the specs that prove a check can fail.</summary>
    public static string CopyK8s(string name)
    {
        var copy = Path.Combine(Repo.NewWorkDir(name), "k8s");
        foreach (var file in Directory.EnumerateFiles(K8s, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(K8s, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }

    /// <summary>Replaces exactly one occurrence of <paramref name="from"/> in a file of a copy; fails if it is not there once.</summary>
    public static void Mutate(string k8sCopy, string relativeFile, string from, string to)
    {
        var path = Path.Combine(k8sCopy, relativeFile);
        var text = File.ReadAllText(path);
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(from, at + 1, StringComparison.Ordinal) < 0,
            $"'{from}' must occur exactly once in {relativeFile} for this mutation to mean anything");
        File.WriteAllText(path, text[..at] + to + text[(at + from.Length)..]);
    }
}
