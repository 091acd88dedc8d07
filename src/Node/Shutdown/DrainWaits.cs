using System.Diagnostics;

namespace ActorService.Node.Shutdown;

/// <summary>The two ways the drain's steps wait: a bounded wait for something to finish, and a delay that is never short.</summary>
internal static class DrainWaits
{
    /// <summary>True when <paramref name="task"/> completed within <paramref name="within"/>; it is not cancelled otherwise.</summary>
    public static async Task<bool> Finishes(Task task, TimeSpan within)
    {
        if (task.IsCompleted) return true;
        using var cts = new CancellationTokenSource();
        var winner = await Task.WhenAny(task, Task.Delay(within, cts.Token));
        await cts.CancelAsync();
        return winner == task;
    }

    /// <summary>Timers may fire a millisecond early; "at least the lb-delay" is a promise, so wait on the clock.</summary>
    public static async Task DelayAtLeast(TimeSpan duration)
    {
        var started = Stopwatch.GetTimestamp();
        TimeSpan left;
        while ((left = duration - Stopwatch.GetElapsedTime(started)) > TimeSpan.Zero)
            await Task.Delay(left + TimeSpan.FromMilliseconds(1));
    }
}
