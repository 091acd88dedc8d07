using ActorService.Actors.Settings;
using ActorService.Node.Clustering;
using ActorService.Node.Hosting;
using ActorService.Node.Http;
using Akka.Remote.Transport.DotNetty;

namespace ActorService.Node.Config;

/// <summary>
/// Everything the node is configured with, read once at start: the flags and variables (<see cref="Options"/>),
/// the HOCON they produce over hocon.conf (<see cref="Hocon"/>, what the ActorSystem gets), and the typed settings
/// read from it. This is the only place that reads settings; the host registers each of them as a singleton and
/// everything else takes them from DI. Every check that can fail does so here, before anything starts.
/// </summary>
internal sealed record NodeConfiguration(
    NodeOptions Options,
    Akka.Configuration.Config Hocon,
    NodeSettings Node,
    LedgerSettings Ledger,
    HttpLimits Limits,
    ClusterFormationSettings Formation,
    ClusterTimings Timings,
    DotNettySslSetup? RemotingTls)
{
    /// <exception cref="ConfigurationException">a value of the wrong form, or settings that contradict each other.</exception>
    public static NodeConfiguration Load(NodeOptions options)
    {
        var hocon = HoconLoader.Load(options);
        var node = NodeSettings.From(hocon);
        Logging.SerilogSetup.ParseLevel(node.LogLevel);
        Admin.AdminTokenPolicy.Check(node.AdminToken);
        if (node.LogFormat.ToLowerInvariant() is not ("text" or "json"))
            throw new ConfigurationException($"actor-service.logging.format (--log-format) must be text or json, not '{node.LogFormat}'");
        if (node.WarmUp.Deadline <= TimeSpan.Zero || node.WarmUp.Concurrency < 1 || node.WarmUp.StoreReads < 0)
            throw new ConfigurationException($"actor-service.warm-up needs deadline > 0, concurrency >= 1 and store-reads >= 0 (got {node.WarmUp})");
        return new NodeConfiguration(
            options,
            hocon,
            node,
            LedgerSettings.From(hocon),
            HttpLimits.From(hocon),
            ClusterFormationSettings.From(hocon),
            ClusterTimings.From(hocon),
            Hosting.RemotingTls.LoadSetup(hocon));
    }

    /// <summary>Registers the configuration and each of its settings.</summary>
    public IServiceCollection AddTo(IServiceCollection services) => services
        .AddSingleton(this).AddSingleton(Options)
        .AddSingleton(Node).AddSingleton(Node.Http).AddSingleton(Node.Drain).AddSingleton(Node.WarmUp)
        .AddSingleton(Ledger).AddSingleton(Limits).AddSingleton(Formation).AddSingleton(Timings);
}
