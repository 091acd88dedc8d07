namespace ActorService.Actors.Drain;

/// <summary>
/// Named, counted background work that shutdown waits for: the .NET analogue of Go's <c>sync.WaitGroup</c> plus a
/// <c>context</c>. Each piece of work is started with a name, counted while it runs, and awaited by the
/// <c>service-stop</c> phase up to a deadline; then its token is cancelled, and work still running after a short
/// grace is reported as abandoned with its name and age (a leak you can see).
/// </summary>
public interface IBackgroundWork
{
    /// <summary>
    /// Cancelled when the <c>service-stop</c> phase begins: long-running loops finish the unit in hand (flush) and
    /// return. One-shot work may ignore it and simply finish.
    /// </summary>
    CancellationToken Stopping { get; }

    /// <summary>
    /// Starts <paramref name="work"/> under <paramref name="name"/>. Its token is cancelled at the stop deadline.
    /// Returns false (and does not run it) once shutdown has begun, as <c>wg.Add</c> after <c>wg.Wait</c> would be a bug.
    /// </summary>
    bool TryStart(string name, Func<CancellationToken, Task> work);

    /// <summary>What runs now, oldest first.</summary>
    IReadOnlyList<BackgroundWorkItem> Running { get; }
}

public sealed record BackgroundWorkItem(long Id, string Name, DateTimeOffset StartedAt);

public sealed record AbandonedWork(string Name, TimeSpan Age);

/// <summary>What the <c>service-stop</c> phase found: counts, and the work it had to abandon by name.</summary>
public sealed record BackgroundStopReport(
    int RunningAtStart,
    int Finished,
    int FinishedAfterCancel,
    int Failed,
    IReadOnlyList<AbandonedWork> Abandoned,
    TimeSpan Took);
