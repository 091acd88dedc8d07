using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ActorService.Actors.Drain;

/// <summary>The one <see cref="IBackgroundWork"/> of a node; the shutdown plan calls <see cref="StopAsync"/> in <c>service-stop</c>.</summary>
public sealed class BackgroundWorkTracker(ILogger<BackgroundWorkTracker> logger, TimeProvider? time = null) : IBackgroundWork
{
    private sealed record Entry(BackgroundWorkItem Item, Task Task);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<long, Entry> _running = new();
    private readonly Lock _gate = new();
    private long _nextId;
    private int _failedWhileRunning;
    private bool _stopped;

    public CancellationToken Stopping => _stopping.Token;

    public IReadOnlyList<BackgroundWorkItem> Running =>
        _running.Values.Select(e => e.Item).OrderBy(i => i.Id).ToList();

    public bool TryStart(string name, Func<CancellationToken, Task> work)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Entry entry;
        // The lock makes "start" and "stop began" mutually exclusive, so StopAsync never misses a late starter.
        lock (_gate)
        {
            if (_stopped)
            {
                logger.LogWarning("Background work {Work} refused: the node is shutting down", name);
                return false;
            }
            var item = new BackgroundWorkItem(Interlocked.Increment(ref _nextId), name, _time.GetUtcNow());
            entry = new Entry(item, Task.Run(() => work(_abort.Token)));
            _running[item.Id] = entry;
        }
        entry.Task.ContinueWith(t => OnFinished(entry, t), TaskScheduler.Default);
        return true;
    }

    private void OnFinished(Entry entry, Task task)
    {
        _running.TryRemove(entry.Item.Id, out _);
        if (task.IsFaulted && !_abort.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failedWhileRunning);
            logger.LogError(task.Exception!.GetBaseException(), "Background work {Work} failed", entry.Item.Name);
        }
    }

    /// <summary>
    /// Signals <see cref="Stopping"/>, waits up to <paramref name="deadline"/> for all work, then cancels the work's
    /// tokens and waits <paramref name="cancelGrace"/> more. Whatever still runs is abandoned and named.
    /// </summary>
    public async Task<BackgroundStopReport> StopAsync(TimeSpan deadline, TimeSpan cancelGrace)
    {
        var started = _time.GetTimestamp();
        List<Entry> entries;
        lock (_gate)
        {
            _stopped = true;
            entries = _running.Values.ToList();
        }
        await _stopping.CancelAsync();
        logger.LogInformation("Waiting up to {Deadline} for {Count} background tasks: {Names}",
            deadline, entries.Count, string.Join(", ", entries.Select(e => e.Item.Name)));

        var finished = await WaitAsync(entries, deadline);
        var afterCancel = 0;
        if (finished < entries.Count)
        {
            await _abort.CancelAsync();
            afterCancel = await WaitAsync(entries, cancelGrace) - finished;
        }

        foreach (var e in entries.Where(e => e.Task.IsCompleted)) _running.TryRemove(e.Item.Id, out _);
        var now = _time.GetUtcNow();
        var abandoned = entries.Where(e => !e.Task.IsCompleted)
            .Select(e => new AbandonedWork(e.Item.Name, now - e.Item.StartedAt)).ToList();
        var failed = entries.Count(e => e.Task.IsFaulted && !(e.Task.Exception?.GetBaseException() is OperationCanceledException));
        foreach (var a in abandoned)
            logger.LogWarning("Background work {Work} abandoned after running {Age}: it ignored cancellation", a.Name, a.Age);
        return new BackgroundStopReport(entries.Count, finished, afterCancel, failed, abandoned, _time.GetElapsedTime(started));
    }

    private async Task<int> WaitAsync(List<Entry> entries, TimeSpan limit)
    {
        var all = Task.WhenAll(entries.Select(e => e.Task));
        using var cts = new CancellationTokenSource();
        await Task.WhenAny(all, Task.Delay(limit, _time, cts.Token));
        await cts.CancelAsync();
        return entries.Count(e => e.Task.IsCompleted);
    }
}
