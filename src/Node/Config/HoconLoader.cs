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
        if (config.GetStringList("akka.cluster.seed-nodes").Count == 0)
        {
            // No seeds: the node joins itself and forms a one-node cluster.
            var self = $"akka.tcp://{clusterName}@{config.GetString("akka.remote.dot-netty.tcp.hostname")}:{config.GetInt("akka.remote.dot-netty.tcp.port")}";
            derived.Add($"akka.cluster.seed-nodes = [\"{self}\"]");
        }
        var appVersion = config.GetString("actor-service.node.app-version", "");
        derived.Add($"akka.cluster.app-version = \"{(appVersion.Length > 0 ? appVersion : AssemblyVersion())}\"");
        derived.Add(ShutdownBudget.PhaseTimeoutsHocon(config));
        return ConfigurationFactory.ParseString(string.Join('\n', derived)).WithFallback(config);
    }

    private static string AssemblyVersion()
    {
        var v = Assembly.GetEntryAssembly()?.GetName().Version ?? new Version(1, 0, 0);
        return $"{v.Major}.{v.Minor}.{Math.Max(v.Build, 0)}";
    }
}
