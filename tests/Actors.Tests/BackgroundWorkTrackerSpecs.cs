using ActorService.Actors.Drain;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>The WaitGroup analogue: counted, named work that shutdown awaits, cancels, and reports when it leaks.</summary>
public sealed class BackgroundWorkTrackerSpecs
{
    private readonly BackgroundWorkTracker _tracker = new(NullLogger<BackgroundWorkTracker>.Instance);

    [Fact]
    public async Task Should_wait_for_running_work_when_it_finishes_before_the_deadline()
    {
        var release = new TaskCompletionSource();
        Assert.True(_tracker.TryStart("flush", _ => release.Task));
        Assert.Equal(["flush"], _tracker.Running.Select(w => w.Name));

        var stopping = _tracker.StopAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.False(stopping.IsCompleted, "stop returned while work was still running");
        release.SetResult();
        var report = await stopping;

        Assert.Equal((1, 1, 0, 0), (report.RunningAtStart, report.Finished, report.FinishedAfterCancel, report.Abandoned.Count));
        Assert.Empty(_tracker.Running);
    }

    [Fact]
    public async Task Should_signal_stopping_so_loops_can_finish_when_shutdown_begins()
    {
        var iterations = 0;
        var looping = new TaskCompletionSource();
        _tracker.TryStart("loop", async _ =>
        {
            while (!_tracker.Stopping.IsCancellationRequested)
            {
                iterations++;
                looping.TrySetResult();
                try { await Task.Delay(10, _tracker.Stopping); } catch (OperationCanceledException) { }
            }
        });
        await looping.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var report = await _tracker.StopAsync(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        Assert.Equal(1, report.Finished);
        Assert.True(iterations > 0);
    }

    [Fact]
    public async Task Should_cancel_work_at_the_deadline_when_it_is_still_running()
    {
        _tracker.TryStart("slow-but-polite", ct => Task.Delay(Timeout.Infinite, ct));
        var report = await _tracker.StopAsync(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        Assert.Equal((1, 0, 1), (report.RunningAtStart, report.Finished, report.FinishedAfterCancel));
        Assert.Empty(report.Abandoned);
    }

    [Fact]
    public async Task Should_name_abandoned_work_with_its_age_when_it_ignores_cancellation()
    {
        var never = new TaskCompletionSource();
        _tracker.TryStart("stubborn", _ => never.Task);
        _tracker.TryStart("polite", ct => Task.Delay(Timeout.Infinite, ct));

        var report = await _tracker.StopAsync(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));

        var abandoned = Assert.Single(report.Abandoned);
        Assert.Equal("stubborn", abandoned.Name);
        Assert.True(abandoned.Age >= TimeSpan.FromMilliseconds(240), $"age {abandoned.Age} (deadline 50 ms + grace 200 ms)");
        Assert.Equal(1, report.FinishedAfterCancel);
    }

    [Fact]
    public async Task Should_refuse_new_work_when_shutdown_has_begun()
    {
        await _tracker.StopAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var ran = false;
        Assert.False(_tracker.TryStart("late", _ => { ran = true; return Task.CompletedTask; }));
        Assert.False(ran);
    }

    [Fact]
    public async Task Should_count_failed_work_when_it_throws_while_stopping()
    {
        _tracker.TryStart("broken", async _ =>
        {
            try { await Task.Delay(Timeout.Infinite, _tracker.Stopping); } catch (OperationCanceledException) { }
            throw new InvalidOperationException("the final flush failed");
        });
        _tracker.TryStart("fine", _ => Task.CompletedTask);
        var report = await _tracker.StopAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        Assert.Equal(1, report.Failed);
    }
}
