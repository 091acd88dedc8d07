using ActorService.Node.Admin;
using ActorService.Node.Config;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>docs/configuration.md is the reference a user reads: it lists every flag the node accepts, as the node reads it.</summary>
public sealed class ConfigurationDocSpecs
{
    private static readonly string[] Rows = File.ReadAllLines(Path.Combine(Repo.Root, "docs", "configuration.md"))
        .Where(l => l.StartsWith("| `--", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Should_list_every_flag_with_its_variable_and_hocon_path_when_the_reference_is_read()
    {
        var wrong = Overrides.All.Where(o =>
        {
            var row = Rows.SingleOrDefault(r => r.StartsWith($"| `{o.Flag}", StringComparison.Ordinal) && r[2 + o.Flag.Length + 1] is ' ' or '`');
            return row is null || !row.Contains($"`{o.EnvVar}`") || o.HoconPaths.Any(p => !row.Contains($"`{p}`"));
        }).Select(o => o.Flag).ToList();
        Assert.True(wrong.Count == 0, $"docs/configuration.md lacks, or misstates the variable or HOCON path of: {string.Join(", ", wrong)}");
        Assert.Equal(Overrides.All.Count, Rows.Length);
    }

    [Fact]
    public void Should_refuse_the_placeholder_token_the_reference_shows()
    {
        var doc = File.ReadAllText(Path.Combine(Repo.Root, "docs", "configuration.md"));
        var shown = AdminTokenPolicy.Placeholders.Where(p => doc.Contains($"`{p}`")).ToList();
        Assert.Equal(AdminTokenPolicy.Placeholders.Count, shown.Count);
    }
}
