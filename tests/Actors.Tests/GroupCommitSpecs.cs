using System.Diagnostics.Metrics;
using ActorService.Actors.Accounts;
using ActorService.Actors.Resources;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using Akka.Actor;
using Xunit;
using static ActorService.Actors.Accounts.AccountCommands;
using static ActorService.Actors.Accounts.AccountReplies;

namespace ActorService.Actors.Tests;

/// <summary>
/// Group commit on each backend: many entities write at the same moment, the db actor commits them together, every
/// acknowledged write is durable (read back through a fresh store), and the knob turns batching off.
/// </summary>
public abstract class GroupCommitSpecs(LedgerBackend backend) : Akka.Hosting.TestKit.TestKit(backend.Name + "-group-commit")
{
    private const int Accounts = 100, WritesPerAccount = 5;

    // 100 entities start at once below, each scheduling its activation timeout: the scheduler must be running first.
    protected override void ConfigureAkka(Akka.Hosting.AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithSchedulerStarted();

    private async Task<(IReadOnlyList<WriteAccepted> Acks, string CloseDetail, List<int> BatchSizes)> WriteConcurrently(int maxBatch)
    {
        var store = await backend.OpenAsync();
        var settings = LedgerTestBed.Db(LedgerTestBed.NewDir("group"), maxBatch);
        var db = Sys.ActorOf(LedgerDbActor.Props(store, settings, LedgerMetrics.For(Sys)));
        var cache = Sys.ActorOf(SnapshotCacheActor.Props(new InProcessSnapshotCache(1000)));
        var sizes = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Name == "actorservice_db_batch_size") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<int>((_, v, _, _) => { lock (sizes) sizes.Add(v); });
        listener.Start();

        var accounts = Enumerable.Range(0, Accounts)
            .Select(i => Sys.ActorOf(AccountProps.For($"g{i}", new AccountEnvironment(db, cache, LedgerTestBed.Accounts(), LedgerMetrics.For(Sys))))).ToList();
        // Every entity gets all its writes at once: while one transaction commits, the others' writes queue up.
        var asks = accounts.SelectMany((a, i) => Enumerable.Range(1, WritesPerAccount).Select(w =>
            a.Ask<IAccountReply>(new ApplyWrite($"g{i}", LedgerOperation.Deposit, w, $"k{w}", RequestId: $"r{w}", TraceParent: null), TimeSpan.FromSeconds(60))))
            .ToList();
        var replies = await Task.WhenAll(asks);
        var closed = await db.Ask<ResourceReplies.Closed>(ResourceCommands.Close.Instance, TimeSpan.FromSeconds(30));
        return (replies.Select(r => Assert.IsType<WriteAccepted>(r)).ToList(), closed.Detail, sizes);
    }

    [Fact]
    public async Task Should_commit_many_writers_together_and_keep_every_acknowledged_write_when_group_commit_is_on()
    {
        var (acks, detail, sizes) = await WriteConcurrently(maxBatch: 256);

        Assert.Equal(Accounts * WritesPerAccount, acks.Count(a => a.Applied));
        // "N writes in M commits since start": fewer commits than writes means writes shared transactions.
        var (writes, commits) = ParseCloseDetail(detail);
        Assert.Equal(Accounts * WritesPerAccount, writes);
        Assert.True(commits < writes, $"{backend}: expected batches of several writes, got {writes} writes in {commits} commits ({detail})");
        lock (sizes) Assert.True(sizes.Any(s => s > 1), $"{backend}: the batch-size histogram saw no batch above 1: [{string.Join(",", sizes)}]");

        await using var fresh = await backend.OpenAsync(); // a new connection: what a restarted node would read
        for (var i = 0; i < Accounts; i++)
            Assert.Equal(new AccountSnapshot($"g{i}", WritesPerAccount * (WritesPerAccount + 1) / 2, WritesPerAccount),
                await fresh.LoadAccountAsync($"g{i}", CancellationToken.None));
        Assert.Equal(Accounts * WritesPerAccount, await fresh.Outbox().CountUnshippedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Should_commit_every_write_alone_when_max_batch_is_one()
    {
        var (acks, detail, _) = await WriteConcurrently(maxBatch: 1);
        Assert.Equal(Accounts * WritesPerAccount, acks.Count(a => a.Applied));
        var (writes, commits) = ParseCloseDetail(detail);
        Assert.Equal((Accounts * WritesPerAccount, Accounts * WritesPerAccount), (writes, commits));
    }

    private static (int Writes, int Commits) ParseCloseDetail(string detail)
    {
        var m = System.Text.RegularExpressions.Regex.Match(detail, @"(\d+) writes in (\d+) commits");
        Assert.True(m.Success, $"unexpected close detail: {detail}");
        return (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
    }
}

public sealed class SqliteGroupCommitSpecs() : GroupCommitSpecs(new SqliteBackend());

public sealed class PostgresGroupCommitSpecs() : GroupCommitSpecs(new PostgresBackend());
