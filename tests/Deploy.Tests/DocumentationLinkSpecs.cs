using System.Text.RegularExpressions;
using Xunit;
using ActorService.TestSupport;

namespace ActorService.Deploy.Tests;

/// <summary>
/// The README is a front page that links only inside the repository, and every document it points at exists: a
/// reader who follows a link never lands outside the repository or on a file that moved.
/// </summary>
public sealed partial class DocumentationLinkSpecs
{
    [GeneratedRegex(@"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        foreach (var file in new[] { "README.md", "bench/README.md", "deploy/README.md" })
            data.Add(file);
        foreach (var file in Directory.GetFiles(Path.Combine(Repo.Root, "docs"), "*.md").Order())
            data.Add(Path.GetRelativePath(Repo.Root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Should_link_only_to_files_inside_the_repository_that_exist_when_a_document_is_read(string document)
    {
        var path = Path.Combine(Repo.Root, document);
        var folder = Path.GetDirectoryName(path)!;
        var broken = new List<string>();
        foreach (Match link in MarkdownLink().Matches(File.ReadAllText(path)))
        {
            var target = link.Groups[1].Value;
            if (target.StartsWith('#')) continue;
            if (target.Contains("://") || target.StartsWith("mailto:"))
            {
                broken.Add($"{target} (leaves the repository)");
                continue;
            }
            var file = Path.GetFullPath(Path.Combine(folder, target.Split('#')[0]));
            if (!file.StartsWith(Repo.Root, StringComparison.Ordinal)) broken.Add($"{target} (outside the repository)");
            else if (!File.Exists(file) && !Directory.Exists(file)) broken.Add($"{target} (no such file)");
        }
        Assert.True(broken.Count == 0, $"{document} has links a reader cannot follow: {string.Join(", ", broken)}");
    }

    [Fact]
    public void Should_keep_the_readme_a_front_page_of_at_most_300_lines_when_details_live_in_docs()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, "README.md")).Length;
        Assert.True(lines <= 300, $"README.md has {lines} lines; move details into docs/ and link them");
    }
}
