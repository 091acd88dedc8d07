using ActorService.TestSupport;

namespace ActorService.Bench.Load;

/// <summary>
/// Set-up traffic that is not measured (seeding accounts, activating entities): a fixed count through TestSupport's
/// load generator with a patient client (30 s per request), so a slow first answer does not fail the run.
/// </summary>
internal static class Seeding
{
    public static readonly ClientModel Client = ClientModel.Patient(honourRetryAfter: false) with { RequestTimeout = TimeSpan.FromSeconds(30) };

    public static Task<FixedCountLoad.Outcome> RunAsync(Uri target, long count, int concurrency, Func<long, LoadRequest> request, Action<long>? progress = null) =>
        FixedCountLoad.RunAsync(target, Client with { Connections = concurrency }, count, concurrency, request, progress);
}
