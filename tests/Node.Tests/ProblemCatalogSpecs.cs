using System.Text.RegularExpressions;
using ActorService.Node.OpenApi;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The OpenAPI document's problem types (<see cref="ProblemCatalog"/>) are exactly the ones the node's code sends, each
/// with the status it is sent with: every <c>Create(status, "slug", …)</c> and every <c>RetryLater(…, "slug", …)</c>
/// (a 503) under src/Node. OpenApiDocumentSpecs ties the same catalog to docs/api.md, so code, document and doc agree.
/// </summary>
public sealed partial class ProblemCatalogSpecs
{
    [Fact]
    public void Should_list_every_problem_type_the_code_sends_with_its_status_when_the_catalog_is_read()
    {
        var sent = Directory.EnumerateFiles(Path.Combine(Repo.Root, "src", "Node"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.EndsWith("TestHooksApi.cs", StringComparison.Ordinal)) // --allow-test-hooks only: not described
            .SelectMany(f => SentProblem().Matches(File.ReadAllText(f)))
            .Select(m => $"{m.Groups["slug"].Value} {(m.Groups["status"].Success ? m.Groups["status"].Value : "503")}")
            .ToHashSet();
        Assert.True(sent.Count >= 20, $"the scan found too few problem types ({sent.Count}): did the way problems are created change?");
        var catalog = ProblemCatalog.All.Select(p => $"{p.Slug} {p.Status}").ToHashSet();
        Assert.True(sent.SetEquals(catalog),
            $"only sent by the code: [{string.Join(", ", sent.Except(catalog).Order())}]; only in the catalog: [{string.Join(", ", catalog.Except(sent).Order())}]");
    }

    // Create(404, "route-not-found", …)   Create(StatusCodes.Status503ServiceUnavailable, "draining", …)   RetryLater(http, settings, "read-timeout", …)
    [GeneratedRegex(@"\bCreate\(\s*(?:StatusCodes\.Status)?(?<status>[1-5][0-9]{2})\w*,\s*""(?<slug>[a-z-]+)""|\bRetryLater\([^;""]*?""(?<slug>[a-z-]+)""")]
    private static partial Regex SentProblem();
}
