using System.Collections.Concurrent;
using System.Net;
using ActorService.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// One ledger per cluster (issue 14). The experiment that found the hole: a node holds account rogue-probe; a second
/// process is started with that node as its seed, another app-version and another database (an empty data folder, or
/// another PostgreSQL database). It used to become Up within seconds and take the shards of new accounts, so 40
/// deposits acknowledged by the first node lived in the stranger's database and read 404 once it was gone. Now the
/// stranger asks the seed before it joins, is refused, never becomes a member, never hosts a shard and exits with
/// code 5, and the seed logs who it refused. A node pointed at the same database still joins.
/// </summary>
public sealed class LedgerGateSpecs
{
    private const string Token = "ledger-gate-admin-token-0123456789abcdef";

    public static TheoryData<string> Backends => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Should_refuse_the_node_and_keep_every_deposit_when_its_database_holds_another_ledger(string backend)
    {
        var dir = Repo.NewWorkDir($"ledger-gate-{backend}");
        var (clusterDb, strangerDb) = backend == "postgres"
            ? (await TestServices.NewPostgresDatabase("ledger-a"), await TestServices.NewPostgresDatabase("ledger-b"))
            : ("", "");
        NodeLaunch Launch(string name, string postgres) => new NodeLaunch(Ports.Free(), Ports.Free(), Path.Combine(dir, name)) with
        {
            AdminToken = Token,
            ExtraArgs = postgres.Length > 0 ? ["--postgres", postgres] : [],
        };

        await using var first = await NodeProcess.StartReadyAsync(Launch("first", clusterDb), "first");
        Assert.Equal(HttpStatusCode.OK, (await first.Http.Deposit("rogue-probe", 5)).Status);
        var seeds = new[] { $"127.0.0.1:{first.Launch.ClusterPort}" };

        // The stranger: the first node as its seed, a newer app-version, another database.
        var strangerLaunch = Launch("stranger", strangerDb) with { Seeds = seeds, AppVersion = "99.0.0" };
        var strangerAddress = $"127.0.0.1:{strangerLaunch.ClusterPort}";
        await using var stranger = NodeProcess.Start(strangerLaunch, "stranger");
        var seenByFirst = new ConcurrentBag<string>();
        using var watching = new CancellationTokenSource();
        var watcher = WatchMembersAsync(first, seenByFirst, watching.Token);

        var exitCode = await stranger.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await watching.CancelAsync();
        await watcher;

        Assert.True(exitCode == 5, $"the stranger's exit code: {exitCode}\n{stranger.Tail()}");
        Assert.Contains(stranger.Lines, l => l.Contains("Refused by the cluster", StringComparison.Ordinal) && l.Contains("exit code 5", StringComparison.Ordinal));
        Assert.DoesNotContain(stranger.Lines, l => l.Contains("Member Up:", StringComparison.Ordinal) || l.Contains("Welcome from", StringComparison.Ordinal));
        Assert.Contains(first.Lines, l => l.Contains($"Refused node akka.tcp://actor-service@{strangerAddress}", StringComparison.Ordinal)
                                          && l.Contains("99.0.0", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Lines, l => l.Contains(strangerAddress, StringComparison.Ordinal)
                                                && (l.Contains("is JOINING", StringComparison.Ordinal) || l.Contains("to [Up]", StringComparison.Ordinal)));
        Assert.DoesNotContain(seenByFirst, a => a.Contains(strangerAddress, StringComparison.Ordinal));

        // The rest of the experiment: 40 deposits to the first node, then every one read back.
        for (var i = 0; i < 40; i++)
        {
            var answer = await first.Http.Deposit($"stranger-{i}", 1);
            Assert.True(answer.Status == HttpStatusCode.OK, $"deposit {i}: {answer}");
        }
        var readable = 0;
        for (var i = 0; i < 40; i++)
            if (await first.Http.GetAccount($"stranger-{i}") is { Status: HttpStatusCode.OK, Balance: 1 }) readable++;
        Assert.Equal(40, readable);
        Assert.Equal(0, await AccountRows(backend, strangerDb, strangerLaunch.DataDir));

        // A node pointed at the same database joins as before.
        var siblingLaunch = Launch("sibling", clusterDb) with { Seeds = seeds };
        if (backend == "sqlite") siblingLaunch = siblingLaunch with { DataDir = first.Launch.DataDir }; // the same SQLite file
        await using var sibling = await NodeProcess.StartReadyAsync(siblingLaunch, "sibling");
        await Eventually.True(async () => (await first.UpMembers(Token)).Count == 2, TimeSpan.FromSeconds(30), "the sibling Up in the first node's view");
        Assert.Contains(sibling.Lines, l => l.Contains("Ledger check passed", StringComparison.Ordinal));
        Assert.Equal(6, (await sibling.Http.Deposit("rogue-probe", 1)).Balance);
    }

    /// <summary>Every member address the first node's /admin/status lists (any status) while the stranger lives.</summary>
    private static async Task WatchMembersAsync(NodeProcess node, ConcurrentBag<string> seen, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var status = await node.Management.Status(Token, CancellationToken.None);
            if (status.Status == HttpStatusCode.OK)
                foreach (var m in status.Body.GetProperty("members").EnumerateArray())
                    seen.Add($"{m.GetProperty("address").GetString()} {m.GetProperty("status").GetString()}");
            try { await Task.Delay(50, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Accounts in the stranger's own database (the file may not exist at all if it stopped early).</summary>
    private static async Task<long> AccountRows(string backend, string postgres, string dataDir)
    {
        if (backend == "postgres")
            return (await TestServices.Query<long>(postgres, "SELECT count(*) FROM accounts")).Single();
        var file = Path.Combine(dataDir, "ledger.db");
        Assert.True(File.Exists(file), $"the stranger opened its own SQLite database at {file}");
        await using var c = new SqliteConnection($"Data Source={file};Mode=ReadOnly");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM accounts";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
