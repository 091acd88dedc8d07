using System.Diagnostics.Metrics;
using ActorService.Actors;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// Reads the outbox backlog from the ledger library's own instrument (<c>actorservice_outbox_backlog</c> on the
/// <see cref="LedgerMetrics.MeterName"/> meter) for /admin/status, through a <see cref="MeterListener"/>: the node
/// needs no compile-time knowledge of how the storage layer measures it, and a build without an outbox reports null.
/// Works for an observable gauge (read on demand) and for an up-down counter (deltas summed).
/// </summary>
internal sealed class OutboxBacklog : IDisposable
{
    public const string InstrumentName = "actorservice_outbox_backlog";

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Lock _reading = new(); // one on-demand read of an observable instrument at a time
    private Instrument? _instrument;
    private double _sum, _observed;

    public OutboxBacklog() : this(LedgerMetrics.MeterName) { }

    /// <summary>Reads the instrument from another meter (specs use their own, away from the process-wide ledger meter).</summary>
    internal OutboxBacklog(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != meterName || instrument.Name != InstrumentName) return;
            lock (_lock) _instrument = instrument;
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, _, _) => Record(i, value));
        _listener.SetMeasurementEventCallback<int>((i, value, _, _) => Record(i, value));
        _listener.SetMeasurementEventCallback<double>((i, value, _, _) => Record(i, value));
        _listener.Start();
    }

    /// <summary>Entries waiting in the outbox now; null when this build's storage layer publishes no such instrument.</summary>
    public long? Current
    {
        get
        {
            Instrument? instrument;
            lock (_lock) instrument = _instrument;
            if (instrument is null) return null;
            if (!instrument.IsObservable)
                lock (_lock) return (long)_sum;
            lock (_reading)
            {
                lock (_lock) _observed = 0;
                _listener.RecordObservableInstruments(); // runs the callbacks here; labelled series are summed
                lock (_lock) return (long)_observed;
            }
        }
    }

    private void Record(Instrument instrument, double value)
    {
        lock (_lock)
        {
            if (instrument.IsObservable) _observed += value;
            else _sum += value;
        }
    }

    public void Dispose() => _listener.Dispose();
}
