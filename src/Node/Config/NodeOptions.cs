using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace ActorService.Node.Config;

/// <summary>
/// The command line and environment of one node, read through <c>Microsoft.Extensions.Configuration</c>: the
/// environment provider (variables starting with <see cref="Overrides.EnvPrefix"/>) under the command-line provider
/// (switch mappings from <see cref="Overrides.All"/>, so every flag keeps its name), so a flag wins over its variable.
/// What they give is turned into HOCON and layered over hocon.conf by <see cref="HoconLoader"/>.
/// </summary>
internal sealed partial class NodeOptions
{
    private static readonly Dictionary<string, string> SwitchMappings =
        Overrides.All.ToDictionary(o => o.Flag, o => o.Key, StringComparer.OrdinalIgnoreCase);

    private NodeOptions(IConfiguration configuration) => Configuration = configuration;

    /// <summary>Keys are <see cref="Override.Key"/> (<c>HTTP_PORT</c>, <c>SEEDS</c>, …).</summary>
    public IConfiguration Configuration { get; }

    public bool HelpRequested { get; private init; }

    /// <summary>The value given for a flag (command line, else its variable); null when neither gives one.</summary>
    public string? this[string flag] => Overrides.Find(flag) is { } o ? Value(o) : null;

    private string? Value(Override o) => Configuration[o.Key] is { Length: > 0 } value ? value : null;

    /// <summary>The overrides that were given, in table order.</summary>
    public IEnumerable<(Override Override, string Value)> Given() =>
        Overrides.All.Select(o => (o, Value(o))).Where(x => x.Item2 is not null).Select(x => (x.o, x.Item2!));

    /// <summary>Flags given, with secrets masked (also raw --hocon text that sets one): safe to log.</summary>
    public IEnumerable<string> Describe() => Given().Select(g => $"{g.Override.Flag}={Masked(g.Override, g.Value)}");

    private static string Masked(Override o, string value) =>
        o.Secret ? "***" : o.Kind == ValueKind.Raw && Secrets.SetsSecret(value) ? "*** (sets a secret)" : value;

    /// <param name="args">the command line</param>
    /// <param name="environment">variables by name; null reads the process environment (tests pass their own)</param>
    /// <exception cref="ConfigurationException">an unknown flag or a missing value.</exception>
    public static NodeOptions Parse(string[] args, Func<string, string?>? environment = null)
    {
        var commandLine = Normalize(args, out var help);
        var builder = new ConfigurationBuilder();
        if (environment is null) builder.AddEnvironmentVariables(Overrides.EnvPrefix);
        else builder.AddInMemoryCollection(Overrides.All.Select(o => KeyValuePair.Create(o.Key, environment(o.EnvVar))));
        builder.AddCommandLine(commandLine, SwitchMappings);
        return new NodeOptions(builder.Build()) { HelpRequested = help };
    }

    /// <summary>
    /// Checks the command line against the table before the provider reads it, because the provider takes any
    /// <c>--name</c> as a key and silently drops a switch that has no value. A bare switch (<see cref="ValueKind.Flag"/>,
    /// e.g. <c>--allow-test-hooks</c> with no value after it) becomes <c>--switch true</c>; <c>--help</c> is taken out.
    /// </summary>
    private static string[] Normalize(string[] args, out bool help)
    {
        help = false;
        var normalized = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h") { help = true; continue; }
            var (flag, inline) = arg.Split('=', 2) is [var f, var v] ? (f, v) : (arg, null);
            var known = Overrides.Find(flag) ?? throw new ConfigurationException($"unknown option '{flag}' (see --help)");
            string value;
            if (inline is not null) value = inline;
            else if (known.Kind == ValueKind.Flag && (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))) value = "true";
            else value = i + 1 < args.Length ? args[++i] : throw new ConfigurationException($"option '{flag}' needs a value");
            normalized.Add(known.Flag);
            normalized.Add(value);
        }
        return [.. normalized];
    }

    /// <summary>The HOCON text that applies every given override, to be layered over the file (raw --hocon text last).</summary>
    public string ToHocon(string clusterName)
    {
        var hocon = new StringBuilder();
        foreach (var (o, raw) in Given())
        {
            if (o.Kind == ValueKind.Raw)
            {
                hocon.AppendLine(raw);
                continue;
            }
            var value = o.Flag == "--admin-token-file" ? ReadSecretFile(raw) : raw;
            foreach (var path in o.HoconPaths)
                hocon.Append(path).Append(" = ").AppendLine(Render(o, value, clusterName));
            if (o.Implies is not null) hocon.AppendLine(o.Implies);
        }
        return hocon.ToString();
    }

    private static string Render(Override o, string value, string clusterName) => o.Kind switch
    {
        ValueKind.Integer when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n.ToString(CultureInfo.InvariantCulture),
        ValueKind.Integer => throw new ConfigurationException($"{o.Flag} ({o.EnvVar}) must be a whole number, not '{value}'"),
        ValueKind.Duration when Duration().IsMatch(value) => value,
        ValueKind.Duration => throw new ConfigurationException($"{o.Flag} ({o.EnvVar}) must be a duration such as 500ms, 5s or 1m, not '{value}'"),
        ValueKind.Flag => value.ToLowerInvariant() switch
        {
            "true" or "on" or "1" or "yes" => "on",
            "false" or "off" or "0" or "no" => "off",
            _ => throw new ConfigurationException($"{o.Flag} ({o.EnvVar}) must be true or false, not '{value}'"),
        },
        ValueKind.SeedList => SeedList(o, value, clusterName),
        _ => JsonSerializer.Serialize(value), // a JSON string is a valid quoted HOCON string
    };

    [GeneratedRegex(@"^\d+(\.\d+)?\s*(ms|s|m|h|d)$")]
    private static partial Regex Duration();

    private static string SeedList(Override o, string value, string clusterName)
    {
        var seeds = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(seed =>
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], out _))
                throw new ConfigurationException($"{o.Flag} ({o.EnvVar}): '{seed}' is not host:port");
            return JsonSerializer.Serialize($"akka.tcp://{clusterName}@{seed}");
        });
        return $"[{string.Join(", ", seeds)}]";
    }

    private static string ReadSecretFile(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"cannot read the admin token file '{path}': {e.Message}");
        }
    }

    public static string Usage()
    {
        var text = new StringBuilder("ActorService node. Options (environment variable in brackets); flags win over variables, variables over hocon.conf:\n");
        foreach (var o in Overrides.All)
            text.Append("  ").Append(o.Flag.PadRight(26)).Append(o.Description).Append(" [").Append(o.EnvVar).AppendLine("]");
        text.AppendLine("Host environment: ASPNETCORE_ENVIRONMENT, else DOTNET_ENVIRONMENT, else Production (test hooks are refused in Production).");
        text.AppendLine("An admin token must have at least 32 characters. Details: docs/configuration.md.");
        return text.ToString();
    }
}

/// <summary>Bad command line or configuration: the node prints it and exits with <see cref="Shutdown.ExitCodes.BadConfiguration"/>.</summary>
internal sealed class ConfigurationException(string message) : Exception(message);
