using System.Diagnostics;

namespace ActorService.TestSupport;

/// <summary>Waits on a condition with a deadline (never a bare sleep); the failure message says what was awaited.</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T?>> probe, TimeSpan within, string what, TimeSpan? every = null) where T : class
    {
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        while (sw.Elapsed < within)
        {
            try
            {
                if (await probe() is { } value) return value;
            }
            catch (Exception e) { last = e; }
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(50));
        }
        throw new TimeoutException($"Timed out after {within.TotalSeconds:0.#} s waiting for {what}" + (last is null ? "" : $"; last error: {last.Message}"));
    }

    public static async Task True(Func<Task<bool>> probe, TimeSpan within, string what, TimeSpan? every = null) =>
        await Get<object>(async () => await probe() ? new object() : null, within, what, every);

    public static Task True(Func<bool> probe, TimeSpan within, string what, TimeSpan? every = null) =>
        True(() => Task.FromResult(probe()), within, what, every);
}
