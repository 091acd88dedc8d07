using Xunit;

namespace ActorService.TestSupport.Tests.Client;

/// <summary>The load's figures: failures by cause, latency that leaves out what was never sent, recovery after an event.</summary>
public sealed class LoadReportSpecs
{
    private static RequestRecord Request(long seq, double due, double latency, int? status = 200, string? error = null) =>
        new(seq, new LoadRequest(Operation.Read, "a"), [new Attempt(TimeSpan.FromSeconds(due), TimeSpan.FromSeconds(due + latency), status, error, null, null)]);

    /// <summary>10 requests a second for 20 s, 20 ms each; an event at 10 s; the seconds given fail or are slow.</summary>
    private static List<RequestRecord> Load(Func<int, RequestRecord?>? change = null)
    {
        var records = new List<RequestRecord>();
        for (var i = 0; i < 200; i++) records.Add(change?.Invoke(i) ?? Request(i, i / 10.0, 0.02));
        return records;
    }

    [Fact]
    public void Should_measure_recovery_from_the_first_second_after_which_nothing_failed_and_p99_stayed_low()
    {
        // Seconds 10 and 11 after the start have timeouts; second 12 is slow (p99 900 ms); from 13 on all is well.
        var report = new LoadReport(Load(i => i switch
        {
            >= 100 and < 120 when i % 2 == 0 => Request(i, i / 10.0, 2.0, null, Attempt.Timeout),
            >= 120 and < 130 => Request(i, i / 10.0, 0.9),
            _ => null,
        }));

        Assert.Equal(TimeSpan.FromSeconds(3), report.RecoveryAfter(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.Zero, report.RecoveryAfter(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(9)));
        Assert.Null(report.RecoveryAfter(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(12)));
        var seconds = report.PerSecond(TimeSpan.FromSeconds(10), -1, 3);
        Assert.Equal([(-1, 0), (0, 5), (1, 5), (2, 0)], seconds.Select(s => (s.Offset, s.Failed)));
        Assert.Equal(TimeSpan.FromSeconds(0.9), seconds[3].P99);
    }

    [Fact]
    public void Should_take_marks_less_than_a_second_apart_as_one_event()
    {
        var report = new LoadReport(Load(i => i is >= 122 and < 126 ? Request(i, i / 10.0, 2.0, null, Attempt.Timeout) : null));

        var lines = report.Events([(TimeSpan.FromSeconds(10), "node1 back"), (TimeSpan.FromSeconds(10.2), "SIGTERM node2"), (TimeSpan.FromSeconds(15), "node2 exited")]).ToList();

        Assert.Contains(lines, l => l.StartsWith("event \"node1 back + SIGTERM node2\" at 10.0 s: recovered (no failure, p99 ≤ 500 ms) 3 s after it"));
        Assert.Contains(lines, l => l.StartsWith("event \"node2 exited\" at 15.0 s: recovered (no failure, p99 ≤ 500 ms) 0 s after it"));
    }

    [Fact]
    public void Should_count_failures_by_cause_and_leave_requests_never_sent_out_of_the_latency()
    {
        var report = new LoadReport(Load(i => i switch
        {
            < 5 => Request(i, i / 10.0, 0, null, Attempt.PoolFull),
            < 7 => Request(i, i / 10.0, 2.0, null, Attempt.Timeout),
            < 8 => Request(i, i / 10.0, 0.01, 503, null),
            _ => null,
        }));

        Assert.Equal(new Dictionary<string, int> { ["503"] = 1, [Attempt.PoolFull] = 5, [Attempt.Timeout] = 2 }, report.FailuresByKind);
        var (count, _, _, max) = report.Latency(TimeSpan.Zero, TimeSpan.MaxValue);
        Assert.Equal(195, count);
        Assert.Equal(TimeSpan.FromSeconds(2), max);
        Assert.Contains("failed/sent pool-full: 5/200", report.Summary());
    }
}
