using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// <see cref="LedgerMetrics"/> belongs to one node: made from its host's <see cref="IMeterFactory"/>, its instruments
/// are seen by listeners scoped to that factory only, so two nodes in one process never count each other's work.
/// </summary>
public sealed class LedgerMetricsSpecs
{
    [Fact]
    public void Should_publish_its_writes_and_entities_to_its_own_factory_only_when_two_nodes_share_a_process()
    {
        using var hostA = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var hostB = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var (factoryA, factoryB) = (hostA.GetRequiredService<IMeterFactory>(), hostB.GetRequiredService<IMeterFactory>());
        var a = new LedgerMetrics(factoryA);
        var b = new LedgerMetrics(factoryB);
        using var writesA = new MetricCollector<long>(factoryA, LedgerMetrics.MeterName, "actorservice_ledger_writes");
        using var writesB = new MetricCollector<long>(factoryB, LedgerMetrics.MeterName, "actorservice_ledger_writes");
        using var activeA = new MetricCollector<long>(factoryA, LedgerMetrics.MeterName, "actorservice_entities_active");
        using var activeB = new MetricCollector<long>(factoryB, LedgerMetrics.MeterName, "actorservice_entities_active");

        a.WriteFinished("applied");
        a.WriteFinished("applied");
        a.WriteFinished("repeat");
        a.EntityActivated();
        a.EntityActivated();
        b.EntityActivated();
        b.EntityStopped();

        var seenByA = writesA.GetMeasurementSnapshot();
        Assert.Equal(["applied", "applied", "repeat"], seenByA.Select(m => (string?)m.Tags["outcome"]).Order());
        Assert.True(writesB.GetMeasurementSnapshot().Count == 0, $"node b applied nothing, yet its meter saw {writesB.GetMeasurementSnapshot().Count} writes");
        activeA.RecordObservableInstruments();
        activeB.RecordObservableInstruments();
        Assert.Equal(2, activeA.LastMeasurement?.Value);
        Assert.Equal(0, activeB.LastMeasurement?.Value);
        Assert.Equal((2, 0), (a.ActiveEntityCount, b.ActiveEntityCount));
    }
}
