using System.Reflection;
using ActorService.Node.Shutdown;
using Akka.Configuration;

namespace ActorService.Node.Config;

/// <summary>
/// Builds the node's one configuration: hocon.conf, under the command-line and environment overrides, plus the few
/// values derived from it (the node's own seed when none is given, the app version, the service phases' timeouts).
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
        var seeds = config.GetStringList("akka.cluster.seed-nodes");
        if (seeds.Count == 0)
        {
            // No seeds: the node joins itself and forms a one-node cluster.
            var self = $"{RemotingScheme(config)}://{clusterName}@{config.GetString("akka.remote.dot-netty.tcp.hostname")}:{config.GetInt("akka.remote.dot-netty.tcp.port")}";
            derived.Add($"akka.cluster.seed-nodes = [\"{self}\"]");
        }
        else if (RemotingScheme(config) == TlsScheme)
        {
            // With TLS on, remoting only speaks akka.ssl.tcp: seeds given as host:port (rendered akka.tcp) follow.
            var rewritten = seeds.Select(seed => seed.StartsWith("akka.tcp://", StringComparison.Ordinal) ? TlsScheme + seed["akka.tcp".Length..] : seed);
            derived.Add($"akka.cluster.seed-nodes = [{string.Join(", ", rewritten.Select(s => $"\"{s}\""))}]");
        }
        var appVersion = config.GetString("actor-service.node.app-version", "");
        derived.Add($"akka.cluster.app-version = \"{(appVersion.Length > 0 ? appVersion : AssemblyVersion())}\"");
        derived.Add(ShutdownBudget.PhaseTimeoutsHocon(config));
        return ConfigurationFactory.ParseString(string.Join('\n', derived)).WithFallback(config);
    }

    private const string TlsScheme = "akka.ssl.tcp";

    /// <summary>The address scheme of this node's remoting: <c>akka.ssl.tcp</c> when remoting TLS is on.</summary>
    private static string RemotingScheme(Akka.Configuration.Config config) =>
        config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl", false) ? TlsScheme : "akka.tcp";

    private static string AssemblyVersion()
    {
        var v = Assembly.GetEntryAssembly()?.GetName().Version ?? new Version(1, 0, 0);
        return $"{v.Major}.{v.Minor}.{Math.Max(v.Build, 0)}";
    }
}
