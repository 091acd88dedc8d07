using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.DependencyInjection;

namespace ActorService.Actors;

/// <summary>
/// Holds a node's <see cref="LedgerMetrics"/> on its ActorSystem, for what Akka builds from configuration without
/// constructor arguments (the entity mailbox) and for the Akka.Hosting setups (<see cref="LedgerMetrics.For"/>).
/// </summary>
public sealed class LedgerMetricsExtension(LedgerMetrics metrics) : IExtension
{
    public LedgerMetrics Metrics { get; } = metrics;
}

/// <summary>
/// Takes the <see cref="LedgerMetrics"/> service of the host's container, which Akka.Hosting gives the ActorSystem
/// (Akka.DependencyInjection), so Akka's code and the node's (drain, status, timeline) share one instance. A host that
/// registers none (actor specs) gets one made from its own <see cref="IMeterFactory"/>, still one per ActorSystem.
/// </summary>
public sealed class LedgerMetricsExtensionProvider : ExtensionIdProvider<LedgerMetricsExtension>
{
    public override LedgerMetricsExtension CreateExtension(ExtendedActorSystem system)
    {
        var services = DependencyResolver.For(system).Resolver;
        var metrics = services.GetService<LedgerMetrics>()
            ?? new LedgerMetrics(services.GetService<IMeterFactory>()
                ?? throw new InvalidOperationException($"{system.Name}: the host registers neither {nameof(LedgerMetrics)} nor an {nameof(IMeterFactory)} (services.AddMetrics())"));
        return new LedgerMetricsExtension(metrics);
    }
}
