using ActorService.Deploy.Tests.Manifests;
using Xunit;

namespace ActorService.Deploy.Tests;

/// <summary>
/// Rendered objects validate against the Kubernetes API schemas without a cluster, twice over: kubernetes-models
/// (npm) checks types, formats and required fields; the strict parse into the official C# client's models rejects
/// fields the API does not know, which kubernetes-models lets through.
/// </summary>
public sealed class SchemaValidationSpecs(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(DeployPaths.Overlays), MemberType = typeof(DeployPaths))]
    public async Task Should_validate_against_the_kubernetes_schemas_when_the_overlay_is_rendered(string overlay)
    {
        var o = await RenderedOverlay.OfRepo(overlay);
        var result = await SchemaValidator.ValidateAsync(o.Yaml);
        output.WriteLine(result.Stdout);
        Assert.True(result.Succeeded, $"overlay '{overlay}' fails schema validation: {result}");
        Assert.Contains($"{o.Objects.Count} objects checked, 0 problems", result.Stdout);
    }

    [Fact]
    public async Task Should_reject_a_wrongly_typed_field_when_validated()
    {
        var yaml = (await RenderedOverlay.OfRepo("production")).Yaml;
        var broken = ReplaceOnce(yaml, "replicas: 3", "replicas: three");
        var result = await SchemaValidator.ValidateAsync(broken);
        Assert.False(result.Succeeded, "a Deployment with replicas: three passed schema validation");
        Assert.Contains("Deployment/actorservice: /spec/replicas must be integer", result.Stdout);
    }

    [Fact]
    public async Task Should_reject_a_missing_required_field_when_validated()
    {
        var yaml = (await RenderedOverlay.OfRepo("production")).Yaml;
        var broken = ReplaceOnce(yaml, "\nroleRef:\n", "\nroleRefRenamed:\n"); // unknown to kubernetes-models, so roleRef is missing
        var result = await SchemaValidator.ValidateAsync(broken);
        Assert.False(result.Succeeded, "a RoleBinding without roleRef passed schema validation");
        Assert.Contains("RoleBinding/actorservice-pod-reader", result.Stdout);
        Assert.Contains("roleRef", result.Stdout);
    }

    [Fact]
    public async Task Should_reject_a_misspelt_field_when_parsed_strictly()
    {
        var yaml = (await RenderedOverlay.OfRepo("production")).Yaml;
        var broken = ReplaceOnce(yaml, "failureThreshold: 2", "failureTreshold: 2");
        var error = Assert.Throws<InvalidOperationException>(() => RenderedOverlay.ParseStrict("production", broken));
        Assert.Contains("failureTreshold", error.Message);
    }

    private static string ReplaceOnce(string text, string from, string to)
    {
        var at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from.Trim()}' not found in the rendered overlay");
        return text[..at] + to + text[(at + from.Length)..];
    }
}
