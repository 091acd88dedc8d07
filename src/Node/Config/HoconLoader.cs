using System.Reflection;
using Akka.Configuration;

namespace ActorService.Node.Config;

/// <summary>
/// Builds the node's one configuration: hocon.conf, under the command-line and environment overrides, plus the few
/// values derived from it (the node's own seed when none is given, the app version).
/// </summary>
internal static class HoconLoader
{
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "hocon.conf");

    public static string ResolvePath(NodeOptions options) => options["--config"] ?? DefaultPath;

    public static Akka.Configuration.Config Load(NodeOptions options)
    {
        var path = ResolvePath(options);
        if (!File.Exists(path)) throw new ConfigurationException($"configuration file not found: {path} (set --config)");
        Akka.Configuration.Config file;
        try { file = ConfigurationFactory.ParseString(File.ReadAllText(path)); }
        catch (Exception e) when (e is not ConfigurationException) { throw new ConfigurationException($"{path} is not valid HOCON: {e.Message}"); }

        var clusterName = options["--cluster-name"] ?? file.GetString("actor-service.node.cluster-name", "actor-service");
        Akka.Configuration.Config config;
        try { config = ConfigurationFactory.ParseString(options.ToHocon(clusterName)).WithFallback(file); }
        catch (Exception e) when (e is not ConfigurationException) { throw new ConfigurationException($"an override is not valid HOCON: {e.Message}"); }

        var derived = new List<string>();
        derived.AddRange(ClusterFormationHocon(config, clusterName));
        var appVersion = config.GetString("actor-service.node.app-version", "");
        derived.Add($"akka.cluster.app-version = \"{(appVersion.Length > 0 ? appVersion : AssemblyVersion())}\"");
        return ConfigurationFactory.ParseString(string.Join('\n', derived)).WithFallback(config);
    }

    private const string TlsScheme = "akka.ssl.tcp";

    /// <summary>The address scheme of this node's remoting: <c>akka.ssl.tcp</c> when remoting TLS is on.</summary>
    private static string RemotingScheme(Akka.Configuration.Config config) =>
        config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false) ? TlsScheme : "akka.tcp";

    /// <summary>
    /// Seeds or Kubernetes bootstrap, never both: with seeds the node joins <c>akka.cluster.seed-nodes</c> (itself when
    /// none are given) and bootstrap never starts; with kubernetes the seed list stays empty, so only
    /// Akka.Management's bootstrap joins, and its route is hosted. The management listener (always bound, whatever
    /// <c>actor-service.cluster.management</c> says) defaults to the cluster host address (the pod IP): the address
    /// the other pods' bootstrap probes and the kubelet reach. Writes the resolved <c>actor-service.cluster.management</c>.
    /// </summary>
    private static IEnumerable<string> ClusterFormationHocon(Akka.Configuration.Config config, string clusterName)
    {
        var discovery = config.GetString("actor-service.cluster.discovery", "seeds").ToLowerInvariant();
        var management = Switch(config.GetString("actor-service.cluster.management", "auto"), "actor-service.cluster.management");
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        switch (discovery)
        {
            case "seeds":
                if (seeds.Count == 0)
                {
                    // No seeds: the node joins itself and forms a one-node cluster.
                    yield return $"akka.cluster.seed-nodes = [\"{RemotingScheme(config)}://{clusterName}@{host}:{config.GetInt("akka.remote.dot-netty.tcp.port")}\"]";
                }
                else if (RemotingScheme(config) == TlsScheme)
                {
                    // With TLS on, remoting only speaks akka.ssl.tcp: seeds given as host:port (rendered akka.tcp) follow.
                    var rewritten = seeds.Select(seed => seed.StartsWith("akka.tcp://", StringComparison.Ordinal) ? TlsScheme + seed["akka.tcp".Length..] : seed);
                    yield return $"akka.cluster.seed-nodes = [{string.Join(", ", rewritten.Select(s => $"\"{s}\""))}]";
                }
                management ??= false;
                break;
            case "kubernetes":
                if (seeds.Count > 0)
                    throw new ConfigurationException("--seeds cannot be combined with --discovery kubernetes: with kubernetes discovery the pods find each other through the Kubernetes API");
                if (management == false)
                    throw new ConfigurationException("--discovery kubernetes needs Akka.Management (cluster bootstrap probes it): actor-service.cluster.management must not be off");
                management = true;
                break;
            default:
                throw new ConfigurationException($"--discovery must be seeds or kubernetes, not '{discovery}'");
        }
        yield return $"actor-service.cluster.discovery = {discovery}";
        yield return $"actor-service.cluster.management = {(management.Value ? "on" : "off")}";
        if (ManagementHostname(config) is null) yield return $"akka.management.http.hostname = \"{host}\"";
    }

    /// <summary>An explicit <c>akka.management.http.hostname</c>, or null (unset, empty or Akka.Management's placeholder).</summary>
    private static string? ManagementHostname(Akka.Configuration.Config config) =>
        config.GetString("akka.management.http.hostname", "") is { Length: > 0 } h && h != "<hostname>" ? h : null;

    /// <summary>on/off/auto (auto = null: decided by the discovery method).</summary>
    private static bool? Switch(string value, string path) => value.ToLowerInvariant() switch
    {
        "auto" => null,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new ConfigurationException($"{path} must be auto, on or off, not '{value}'"),
    };

    private static string AssemblyVersion()
    {
        var v = Assembly.GetEntryAssembly()?.GetName().Version ?? new Version(1, 0, 0);
        return $"{v.Major}.{v.Minor}.{Math.Max(v.Build, 0)}";
    }
}
