using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ActorService.Node.Config;

/// <summary>The command line and environment of one node, resolved against <see cref="Overrides.All"/>.</summary>
internal sealed class NodeOptions
{
    private readonly Dictionary<string, string> _values;

    private NodeOptions(Dictionary<string, string> values) => _values = values;

    public bool HelpRequested { get; private init; }

    public string? this[string flag] => _values.GetValueOrDefault(flag);

    /// <summary>Flags given, with secrets masked (also raw --hocon text that sets one): safe to log.</summary>
    public IEnumerable<string> Describe() => _values.Select(kv => $"{kv.Key}={Masked(Overrides.Find(kv.Key), kv.Value)}");

    private static string Masked(Override? o, string value) =>
        o?.Secret == true ? "***" : o?.Kind == ValueKind.Raw && Secrets.SetsSecret(value) ? "*** (sets a secret)" : value;

    /// <exception cref="ConfigurationException">an unknown flag, a missing value or a value of the wrong form.</exception>
    public static NodeOptions Parse(string[] args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>();
        foreach (var o in Overrides.All)
            if (environment(o.EnvVar) is { Length: > 0 } fromEnv) values[o.Flag] = fromEnv;

        var help = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h") { help = true; continue; }
            var (flag, inline) = arg.Split('=', 2) is [var f, var v] ? (f, v) : (arg, null);
            var known = Overrides.Find(flag) ?? throw new ConfigurationException($"unknown option '{flag}' (see --help)");
            if (known.Kind == ValueKind.Flag && inline is null && (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                values[flag] = "true";
                continue;
            }
            var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new ConfigurationException($"option '{flag}' needs a value"));
            values[flag] = value;
        }
        return new NodeOptions(values) { HelpRequested = help };
    }

    /// <summary>The HOCON text that applies every given override, to be layered over the file.</summary>
    public string ToHocon(string clusterName)
    {
        var hocon = new StringBuilder();
        foreach (var (flag, raw) in _values)
        {
            var o = Overrides.Find(flag)!;
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
        ValueKind.Integer => throw new ConfigurationException($"{o.Flag} must be a whole number, not '{value}'"),
        ValueKind.Duration when IsDuration(value) => value,
        ValueKind.Duration => throw new ConfigurationException($"{o.Flag} must be a duration such as 500ms, 5s or 1m, not '{value}'"),
        ValueKind.Flag => value.ToLowerInvariant() is "true" or "on" or "1" or "yes" ? "on" : "off",
        ValueKind.SeedList => SeedList(o, value, clusterName),
        _ => JsonSerializer.Serialize(value), // a JSON string is a valid quoted HOCON string
    };

    private static bool IsDuration(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, @"^\d+(\.\d+)?\s*(ms|s|m|h|d)$");

    private static string SeedList(Override o, string value, string clusterName)
    {
        var seeds = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(seed =>
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(seed[(colon + 1)..], out _))
                throw new ConfigurationException($"{o.Flag}: '{seed}' is not host:port");
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
        var text = new StringBuilder("ActorService node. Options (environment variable in brackets):\n");
        foreach (var o in Overrides.All)
            text.Append("  ").Append(o.Flag.PadRight(26)).Append(o.Description).Append(" [").Append(o.EnvVar).AppendLine("]");
        return text.ToString();
    }
}

/// <summary>Bad command line or configuration: the node prints it and exits with <see cref="Shutdown.ExitCodes.BadConfiguration"/>.</summary>
internal sealed class ConfigurationException(string message) : Exception(message);
