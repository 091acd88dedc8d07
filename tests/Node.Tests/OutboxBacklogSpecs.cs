using System.Diagnostics.Metrics;
using ActorService.Actors;
using ActorService.Node.Diagnostics;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// /admin/status reads the outbox backlog from whatever instrument the storage layer publishes under
/// <c>actorservice_outbox_backlog</c> on the ledger meter: a gauge it observes, or an up-down counter it sums.
/// </summary>
public sealed class OutboxBacklogSpecs
{
    // A meter of the specs' own: the process-wide ledger meter may publish the real instrument.
    private readonly string _meterName = LedgerMetrics.MeterName + ".Specs." + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void Should_read_the_current_value_when_the_backlog_is_an_observable_gauge()
    {
        var backlog = 42L;
        using var meter = new Meter(_meterName);
        meter.CreateObservableGauge(OutboxBacklog.InstrumentName, () => backlog);
        using var reader = new OutboxBacklog(_meterName);
        Assert.Equal(42, reader.Current);
        backlog = 7;
        Assert.Equal(7, reader.Current);
    }

    [Fact]
    public void Should_sum_the_changes_when_the_backlog_is_an_up_down_counter()
    {
        using var meter = new Meter(_meterName);
        var counter = meter.CreateUpDownCounter<long>(OutboxBacklog.InstrumentName);
        using var reader = new OutboxBacklog(_meterName);
        counter.Add(5);
        counter.Add(-2);
        Assert.Equal(3, reader.Current);
    }

    [Fact]
    public void Should_report_null_when_no_outbox_instrument_is_published()
    {
        using var meter = new Meter(_meterName);
        meter.CreateObservableGauge("actorservice_something_else", () => 9L);
        using var reader = new OutboxBacklog(_meterName);
        Assert.Null(reader.Current);
    }
}
