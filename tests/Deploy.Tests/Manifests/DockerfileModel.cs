using System.Text.Json;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>One instruction of a Dockerfile: keyword, arguments, and the build stage it belongs to.</summary>
public sealed record DockerInstruction(string Keyword, string Arguments, int Stage, int Line);

/// <summary>
/// A Dockerfile read as instructions (continuation lines joined, comments dropped), enough to check without a Docker
/// engine what the image will do: which base images, which user, which ports, how the process starts.
/// </summary>
public sealed class DockerfileModel
{
    private DockerfileModel(IReadOnlyList<DockerInstruction> instructions) => Instructions = instructions;

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public int FinalStage => Instructions.Max(i => i.Stage);

    public IEnumerable<DockerInstruction> InFinalStage(string keyword) =>
        Instructions.Where(i => i.Stage == FinalStage && i.Keyword == keyword);

    public IReadOnlyList<string> BaseImages => Instructions.Where(i => i.Keyword == "FROM").Select(i => i.Arguments.Split(' ')[0]).ToList();

    public static DockerfileModel Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var stage = -1;
        var pending = "";
        var startLine = 0;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var trimmed = line.Trim();
            if (pending.Length == 0 && (trimmed.Length == 0 || trimmed.StartsWith('#'))) continue;
            if (pending.Length > 0 && trimmed.StartsWith('#')) continue; // comments inside a continued instruction
            if (pending.Length == 0) startLine = n + 1;
            if (trimmed.EndsWith('\\'))
            {
                pending += trimmed[..^1] + " ";
                continue;
            }
            var full = (pending + trimmed).Trim();
            pending = "";
            var space = full.IndexOf(' ');
            var keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            var args = space < 0 ? "" : full[(space + 1)..].Trim();
            if (keyword == "FROM") stage++;
            instructions.Add(new DockerInstruction(keyword, args, stage, startLine));
        }
        return new DockerfileModel(instructions);
    }

    /// <summary>ENTRYPOINT in exec form as its argument list, or null when it is in shell form (or missing).</summary>
    public IReadOnlyList<string>? ExecFormEntrypoint()
    {
        var entry = InFinalStage("ENTRYPOINT").LastOrDefault();
        if (entry is null || !entry.Arguments.StartsWith('[')) return null;
        try { return JsonSerializer.Deserialize<List<string>>(entry.Arguments); }
        catch (JsonException) { return null; } // Docker treats an invalid JSON array as shell form
    }

    /// <summary>ENV of the final stage (both "K=V K2=V2" and legacy "K V" forms).</summary>
    public IReadOnlyDictionary<string, string> FinalEnvironment()
    {
        var env = new Dictionary<string, string>();
        foreach (var i in InFinalStage("ENV"))
        {
            if (!i.Arguments.Contains('='))
            {
                var parts = i.Arguments.Split(' ', 2);
                env[parts[0]] = parts.Length > 1 ? parts[1].Trim() : "";
                continue;
            }
            foreach (var pair in i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq > 0) env[pair[..eq]] = pair[(eq + 1)..].Trim('"');
            }
        }
        return env;
    }

    /// <summary>EXPOSEd TCP ports of the final stage.</summary>
    public IReadOnlySet<int> ExposedPorts() => InFinalStage("EXPOSE")
        .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(p => int.Parse(p.Split('/')[0])).ToHashSet();
}
