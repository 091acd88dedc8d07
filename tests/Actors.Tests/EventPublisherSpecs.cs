using System.Text.Json;
using ActorService.Actors.Accounts;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Resources.Events;
using ActorService.Actors.Settings;
using ActorService.TestSupport;
using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// The outbox publisher on each backend: it ships every applied write, runs as tracked background work that ends
/// when service-stop begins, flushes what was committed later when it is closed, and keeps events in the outbox
/// (never loses them) while the sink is down.
/// </summary>
public abstract class EventPublisherSpecs(LedgerBackend backend) : Akka.Hosting.TestKit.TestKit(backend.Name + "-events")
{
    private readonly string _dir = LedgerTestBed.NewDir("events");
    private ILedgerStore _store = null!;
    private BackgroundWorkTracker _background = null!;
    // The store has one writer in a node (the db actor): the spec's own writes and the "other nodes'" take turns.
    private readonly SemaphoreSlim _writer = new(1, 1);

    protected override void ConfigureAkka(Akka.Hosting.AkkaConfigurationBuilder builder, IServiceProvider provider) { }

    protected override async Task BeforeTestStart()
    {
        _store = await backend.OpenAsync();
        _background = new BackgroundWorkTracker(NullLogger<BackgroundWorkTracker>.Instance);
    }

    protected override async Task AfterAllAsync()
    {
        await _store.DisposeAsync();
        await base.AfterAllAsync();
    }

    private static EventsSettings Settings(string file, int batchSize = 7) =>
        new("file", file, "unused", batchSize, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), "test-node:1");

    private async Task Commit(string account, int writes, int from = 0)
    {
        for (var i = from; i < from + writes; i++)
        {
            await _writer.WaitAsync();
            try { await _store.CommitAsync([new PendingWrite(account, LedgerOperation.Deposit, 1, $"k{i}", i, i + 1)], CancellationToken.None); }
            finally { _writer.Release(); }
        }
    }

    private static List<JsonElement> Lines(string path) => File.Exists(path)
        ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList()
        : [];

    [Fact]
    public async Task Should_ship_every_applied_write_once_and_mark_it_shipped_when_running()
    {
        await Commit("p1", 30);
        var file = Path.Combine(_dir, "events.jsonl");
        Sys.ActorOf(EventPublisherActor.Props(_store.Outbox(), new JsonLinesEventSink(file), Settings(file), _background, LedgerMetrics.For(Sys)));

        await Eventually.True(async () => await _store.Outbox().CountUnshippedAsync(CancellationToken.None) == 0,
            TimeSpan.FromSeconds(20), $"{backend}: the outbox to be shipped");
        var lines = Lines(file);
        Assert.Equal(30, lines.Count);
        Assert.Equal(30, lines.Select(l => l.GetProperty("id").GetInt64()).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 30).Select(v => (long)v), lines.Select(l => l.GetProperty("version").GetInt64()));
        Assert.All(lines, l => Assert.Equal("p1", l.GetProperty("account").GetString()));
        Assert.Equal("event-publisher", Assert.Single(_background.Running).Name);
    }

    [Fact]
    public async Task Should_end_its_tracked_work_at_service_stop_and_flush_later_writes_when_closed()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        var publisher = Sys.ActorOf(EventPublisherActor.Props(_store.Outbox(), new JsonLinesEventSink(file), Settings(file), _background, LedgerMetrics.For(Sys)));
        await Commit("p2", 10);
        await Eventually.True(() => _background.Running.Count == 1, TimeSpan.FromSeconds(10), "the publisher to register its loop");

        var stop = await _background.StopAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        Assert.Equal((1, 1, 0), (stop.RunningAtStart, stop.Finished, stop.Abandoned.Count));
        Assert.Equal(10, Lines(file).Count); // the loop shipped what was there before it ended

        await Commit("p2", 15, from: 10); // entities still commit during the hand-off, after service-stop
        var closed = await publisher.Ask<ResourceReplies.Closed>(ResourceCommands.Close.Instance, TimeSpan.FromSeconds(20));
        Assert.Contains("outbox flushed up to id", closed.Detail);
        Assert.Equal(0, await _store.Outbox().CountUnshippedAsync(CancellationToken.None));
        Assert.Equal(Enumerable.Range(1, 25).Select(v => (long)v), Lines(file).Select(l => l.GetProperty("version").GetInt64()));
    }

    [Fact]
    public async Task Should_close_after_shipping_its_own_rows_when_other_nodes_keep_filling_the_outbox()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        await Commit("p4", 10);
        // Each claim lets "other nodes" commit more rows than one batch takes: the outbox never empties.
        var outbox = new OtherNodesWriting(_store, _writer, rowsPerClaim: 2 * 7);
        var publisher = Sys.ActorOf(EventPublisherActor.Props(outbox, new JsonLinesEventSink(file), Settings(file), _background, LedgerMetrics.For(Sys)));
        await Eventually.True(() => Lines(file).Count >= 10, TimeSpan.FromSeconds(10), "the publisher to ship a first batches");

        await Commit("p4", 5, from: 10); // this node's last writes, before its entities were handed off
        var closed = await publisher.Ask<ResourceReplies.Closed>(ResourceCommands.Close.Instance, TimeSpan.FromSeconds(15));
        Assert.Contains("outbox flushed up to id", closed.Detail);
        Assert.Equal(Enumerable.Range(1, 15).Select(v => (long)v),
            Lines(file).Where(l => l.GetProperty("account").GetString() == "p4").Select(l => l.GetProperty("version").GetInt64()));
        Assert.True(await _store.Outbox().CountUnshippedAsync(CancellationToken.None) > 0, "the other nodes' newer rows stay for them to ship");
    }

    /// <summary>The outbox as a busy cluster's: before each claim, other nodes commit <c>rowsPerClaim</c> writes.</summary>
    private sealed class OtherNodesWriting(ILedgerStore store, SemaphoreSlim writer, int rowsPerClaim) : IOutboxStore
    {
        private int _written;

        public async Task<IReadOnlyList<OutboxEvent>> ClaimUnshippedAsync(string owner, int max, TimeSpan lease, CancellationToken ct, long upToId = long.MaxValue)
        {
            for (var i = 0; i < rowsPerClaim; i++, _written++)
            {
                await writer.WaitAsync(ct);
                try { await store.CommitAsync([new PendingWrite("other", LedgerOperation.Deposit, 1, $"o{_written}", _written, _written + 1)], ct); }
                finally { writer.Release(); }
            }
            return await store.Outbox().ClaimUnshippedAsync(owner, max, lease, ct, upToId);
        }

        public Task MarkShippedAsync(IReadOnlyList<long> ids, CancellationToken ct) => store.Outbox().MarkShippedAsync(ids, ct);
        public Task<long> CountUnshippedAsync(CancellationToken ct) => store.Outbox().CountUnshippedAsync(ct);
        public Task<long> LastIdAsync(CancellationToken ct) => store.Outbox().LastIdAsync(ct);
    }

    [Fact]
    public async Task Should_keep_events_in_the_outbox_while_redis_is_down_and_ship_them_when_it_is_back()
    {
        await using var redisServer = await RedisServer.StartAsync();
        var options = ConfigurationOptions.Parse(redisServer.Configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast; // as the node configures it
        options.AsyncTimeout = options.SyncTimeout = 1000;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var stream = "events-" + Guid.NewGuid().ToString("N")[..6];
        Sys.ActorOf(EventPublisherActor.Props(_store.Outbox(), new RedisStreamEventSink(redis, stream), Settings("unused") with { Sink = "redis" }, _background, LedgerMetrics.For(Sys)));

        await Commit("p3", 5);
        await Eventually.True(async () => await _store.Outbox().CountUnshippedAsync(CancellationToken.None) == 0, TimeSpan.FromSeconds(20), "the first events to ship");

        await redisServer.StopAsync();
        await Commit("p3", 12, from: 5);
        await Eventually.True(() => LedgerMetrics.For(Sys).OutboxBacklog >= 12, TimeSpan.FromSeconds(20), $"{backend}: the backlog gauge to show the 12 waiting events");
        Assert.Equal(12, await _store.Outbox().CountUnshippedAsync(CancellationToken.None));

        await redisServer.StartAgainAsync(); // empty: the first 5 entries died with the old server
        await Eventually.True(async () => await _store.Outbox().CountUnshippedAsync(CancellationToken.None) == 0,
            TimeSpan.FromSeconds(30), $"{backend}: the waiting events to ship after Redis came back");
        await using var check = await TestServices.ConnectRedis(redisServer.Configuration);
        var entries = await check.GetDatabase().StreamRangeAsync(stream);
        Assert.Equal(Enumerable.Range(6, 12).Select(v => (long)v), entries.Select(e => (long)e["version"]).Distinct());
    }
}

// One collection: the backlog gauge is process-wide, so the two classes must not run at the same time.
[Collection(nameof(EventPublisherSpecs))]
public sealed class SqliteEventPublisherSpecs() : EventPublisherSpecs(new SqliteBackend());

[Collection(nameof(EventPublisherSpecs))]
public sealed class PostgresEventPublisherSpecs() : EventPublisherSpecs(new PostgresBackend());
