using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ActorService.Actors;
using ActorService.Actors.Accounts;
using ActorService.Actors.Accounts.Placement;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.Node.Config;
using ActorService.Node.Health;
using ActorService.Node.Http;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace ActorService.Node.Hosting;

/// <summary>
/// Warm before ready (issue 17): once the node is a member with its resources open, and before readiness may turn 200,
/// it runs its own request path once, so the first clients HAProxy sends do not pay for what a fresh process does on
/// first use: JIT of the pipeline and the gateway, JSON metadata, a new connection per pooled database connection, and
/// one round trip to the shard coordinator per shard this node's region has not yet looked up.
/// <list type="number">
/// <item>Serialize the ledger's 200 answers once (its 404 and 400 answers come from the requests below).</item>
/// <item><c>store-reads</c> loads through this node's own database and cache actors, <c>concurrency</c> at a time: the
/// shards this node will host arrive later, by rebalance, and their entities load through these.</item>
/// <item>Over real HTTP to the node's public listener: one read per shard some node hosts (its home looked up, its entity
/// run; a shard nobody hosts is left alone, see <see cref="AllocatedShardsAsync"/>) and two
/// deposits with an invalid amount (body read and validated, refused with 400 before any command is sent).</item>
/// </list>
/// Only reads, of accounts named <c>__warm-up-…</c> that nothing writes: nothing reaches the ledger (if a client did
/// name an account so, it is only read), and none of it is counted as client traffic in the request metrics
/// (<see cref="WarmUpTraffic"/>). Bounded by <c>deadline</c>: past it, or on any failure, the node logs a
/// warning and reports ready anyway; a warm-up never keeps a node out of service.
/// </summary>
internal sealed class WarmUp(
    ActorSystem system,
    ActorRegistry registry,
    ReadinessState readiness,
    WarmUpSettings settings,
    HttpSettings http,
    LedgerSettings ledger,
    WarmUpTraffic traffic,
    IOptions<JsonOptions> json,
    IHostApplicationLifetime lifetime,
    ILogger<WarmUp> logger) : IHostedService
{
    public const string AccountPrefix = "__warm-up-";
    private static readonly TimeSpan StoreReadTimeout = TimeSpan.FromSeconds(5);

    public Task StartAsync(CancellationToken ct)
    {
        if (!settings.Enabled)
        {
            readiness.MarkWarmedUp();
            Cluster.Get(system).RegisterOnMemberUp(() => _ = AnnounceWarmAsync());
            logger.LogInformation("Warm-up is off (actor-service.warm-up.enabled): ready as soon as joined with resources open");
            return Task.CompletedTask;
        }
        var memberUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(system).RegisterOnMemberUp(() => memberUp.TrySetResult());
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult()); // Kestrel listens from here on
        _ = Task.WhenAll(memberUp.Task, started.Task).ContinueWith(_ => RunAsync(), TaskScheduler.Default).Unwrap();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private async Task RunAsync()
    {
        var took = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        deadline.CancelAfter(settings.Deadline);
        var steps = new List<string>();
        try
        {
            await Step("json", () => SerializeAnswers(), steps);
            await Step("store", () => StoreReadsAsync(deadline.Token), steps);
            await Step("http", () => HttpRequestsAsync(deadline.Token), steps);
            logger.LogInformation("Warm-up done in {WarmUpMs:0} ms ({Steps}); readiness 200 from now", took.Elapsed.TotalMilliseconds, string.Join("; ", steps));
        }
        catch (Exception e) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            logger.LogInformation("Warm-up stopped after {WarmUpMs:0} ms: the node is stopping ({Error})", took.Elapsed.TotalMilliseconds, e.GetBaseException().Message);
        }
        catch (Exception e)
        {
            // Either way the node serves: a warm-up that cannot finish must not keep it out of service.
            var why = deadline.IsCancellationRequested ? $"did not finish within {settings.Deadline}" : "failed";
            logger.LogWarning("Warm-up {Why} ({WarmUpMs:0} ms; done: {Steps}; {Error}); reporting ready anyway",
                why, took.Elapsed.TotalMilliseconds, steps.Count == 0 ? "nothing" : string.Join("; ", steps), e.GetBaseException().Message);
        }
        finally
        {
            readiness.MarkWarmedUp();
            if (!lifetime.ApplicationStopping.IsCancellationRequested) await AnnounceWarmAsync();
        }
    }

    /// <summary>From now on the shard coordinator may give this node shards (src/Actors/Accounts/Placement): only now, so they find it warm.</summary>
    private async Task AnnounceWarmAsync()
    {
        try { await PlacementBoard.For(system).AnnounceWarmAsync(); }
        catch (Exception e) { logger.LogWarning("Could not announce to the shard coordinator that this node is warm ({Error}); it gets shards once gossip carries it", e.GetBaseException().Message); }
    }

    private static async Task Step(string name, Func<Task<string>> step, List<string> done)
    {
        var took = Stopwatch.StartNew();
        var what = await step();
        done.Add($"{name} {took.Elapsed.TotalMilliseconds:0} ms: {what}");
    }

    private Task<string> SerializeAnswers()
    {
        var options = json.Value.SerializerOptions; // the options TypedResults.Ok writes with
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new LedgerApi.BalanceResponse(AccountPrefix, 0, 0), options).Length
            + JsonSerializer.SerializeToUtf8Bytes(new LedgerApi.WriteResponse(AccountPrefix, 0, 0, false), options).Length;
        return Task.FromResult($"{bytes} bytes");
    }

    private async Task<string> StoreReadsAsync(CancellationToken ct)
    {
        var db = registry.Get<LedgerDb>();
        var cache = registry.Get<SnapshotCache>();
        var loaded = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, settings.StoreReads), Options(ct), async (i, token) =>
        {
            var id = $"{AccountPrefix}s{i}";
            await cache.Ask<SnapshotCacheReplies.Lookup>(new SnapshotCacheCommands.Get(id), StoreReadTimeout, token);
            var reply = await db.Ask<object>(new LedgerDbCommands.LoadAccount(id, DbRequestIds.Next()), StoreReadTimeout, token);
            if (reply is LedgerDbReplies.AccountLoaded) Interlocked.Increment(ref loaded);
        });
        return $"{loaded} of {settings.StoreReads} loaded";
    }

    private async Task<string> HttpRequestsAsync(CancellationToken ct)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency }) { BaseAddress = PublicListener() };
        client.DefaultRequestHeaders.Add(WarmUpTraffic.Header, traffic.Token); // not counted as client requests
        var statuses = new Dictionary<int, int>();
        void Count(HttpStatusCode status)
        {
            lock (statuses) statuses[(int)status] = statuses.GetValueOrDefault((int)status) + 1;
        }
        var allocated = await AllocatedShardsAsync(ct);
        await Parallel.ForEachAsync(OnePerShard(ledger.Accounts.ShardCount, allocated), Options(ct), async (id, token) =>
        {
            using var read = await client.GetAsync($"accounts/{id}", token);
            Count(read.StatusCode);
        });
        for (var i = 0; i < 2; i++)
        {
            // amount 0 is refused by validation (400 invalid-amount) before a command exists: nothing can be applied.
            using var body = new StringContent("""{"amount":0}""", Encoding.UTF8, "application/json");
            using var deposit = await client.PostAsync($"accounts/{AccountPrefix}d/deposit", body, ct);
            Count(deposit.StatusCode);
        }
        return $"{allocated.Count} shards hosted in the cluster, answers " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
    }

    private ParallelOptions Options(CancellationToken ct) => new() { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = ct };

    /// <summary>The node's own public listener; an any-address listener is reached on loopback.</summary>
    private Uri PublicListener()
    {
        var host = http.Host;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            if (address.Equals(IPAddress.Any)) address = IPAddress.Loopback;
            else if (address.Equals(IPAddress.IPv6Any)) address = IPAddress.IPv6Loopback;
            host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        }
        return new Uri($"http://{host}:{http.Port}/");
    }

    /// <summary>
    /// The shards some node hosts now. Only those are read: a read of a shard nobody hosts would make the coordinator
    /// allocate it, to this node perhaps (the one with fewest shards), and rebalancing would then move it away again.
    /// In a cluster that is only forming there are none yet, and nothing is read.
    /// </summary>
    private async Task<HashSet<string>> AllocatedShardsAsync(CancellationToken ct)
    {
        // Right after joining, this node's region may not have registered with the coordinator yet; until it has, it
        // answers every query about the cluster's shards with an empty set. Its registration is what GetCurrentRegions
        // shows (a registered region is among the regions it lists): ask again every 100 ms, within the deadline.
        var region = registry.Get<AccountRegion>();
        while ((await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, StoreReadTimeout, ct)).Regions.Count == 0)
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        var stats = await registry.Get<AccountRegion>().Ask<ClusterShardingStats>(new GetClusterShardingStats(StoreReadTimeout), StoreReadTimeout, ct);
        return stats.Regions.Values.SelectMany(r => r.Stats.Keys).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>One warm-up account per shard in <paramref name="shards"/>, found with the region's own extractor.</summary>
    private static IEnumerable<string> OnePerShard(int shardCount, HashSet<string> shards)
    {
        var extractor = new AccountMessageExtractor(shardCount);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; seen.Count < shards.Count && i < shardCount * 100; i++)
        {
            var id = $"{AccountPrefix}{i}";
            if (extractor.ShardId(id, null) is { } shard && shards.Contains(shard) && seen.Add(shard)) yield return id;
        }
    }
}
