using System.Diagnostics.Metrics;
using ActorService.Actors.Settings;

namespace ActorService.Node.Diagnostics;

/// <summary>
/// Whether the idempotency-key cleanup still runs (meter <see cref="NodeMetrics.MeterName"/>): the time of its last
/// successful pass as a Unix timestamp (Prometheus' convention for "last success": an alert compares it with
/// <c>time()</c>, so a loop that died is noticed even though nothing counts its silence) and the configured interval,
/// so the alert's threshold follows the configuration. The timestamp is exported only after the first success.
/// </summary>
internal sealed class KeyCleanupMetrics
{
    private long _lastSuccessUnixMs = -1;
    private long _failures;

    public KeyCleanupMetrics(IMeterFactory meters, LedgerSettings settings)
    {
        var meter = meters.Create(NodeMetrics.MeterName);
        meter.CreateObservableGauge("actorservice_key_cleanup_last_success_timestamp", ObserveLastSuccess, "s",
            "Unix time of this node's last successful idempotency-key cleanup (absent until the first one)");
        meter.CreateObservableGauge("actorservice_key_cleanup_interval", () => settings.Db.KeyCleanupInterval.TotalSeconds, "s",
            "Configured time between two idempotency-key cleanups (actor-service.db.key-cleanup-interval)");
        meter.CreateObservableCounter("actorservice_key_cleanup_failures", () => Interlocked.Read(ref _failures), "{failures}",
            "Idempotency-key cleanup runs that failed (an Ask timed out, the database refused); the loop tries again with back-off");
    }

    /// <summary>A cleanup pass failed; the loop tries again after a back-off.</summary>
    public void Failed() => Interlocked.Increment(ref _failures);

    /// <summary>A cleanup pass finished (whether or not it found keys to delete).</summary>
    public void Succeeded(DateTimeOffset at) => Interlocked.Exchange(ref _lastSuccessUnixMs, at.ToUnixTimeMilliseconds());

    private IEnumerable<Measurement<double>> ObserveLastSuccess()
    {
        var ms = Interlocked.Read(ref _lastSuccessUnixMs);
        return ms < 0 ? [] : [new Measurement<double>(ms / 1000.0)];
    }
}
