using ActorService.Actors.Accounts;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Settings;
using ActorService.TestSupport;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ActorService.Node.Tests.Wire;

/// <summary>
/// Two cluster members in one process, talking over real remoting on 127.0.0.1 with the node's wire configuration:
/// <see cref="Host"/> runs the account shard region (entities, SQLite ledger), <see cref="Asker"/> only a shard region
/// proxy, so every command it sends is serialized to the host and every reply serialized back. The region runs on the
/// role <c>ledger</c>, which only the host has: sharding's coordinator state (ddata) then needs no replicator on the
/// proxy-only member, which Akka.NET does not start there.
/// </summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private const string SystemName = "wire-two-nodes";
    private const int ShardCount = 10;

    private static readonly string ClusterHocon = """
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.sharding.state-store-mode = ddata
        akka.cluster.sharding.remember-entities = off
        akka.cluster.sharding.role = ledger
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """ + "\n" + WireConfig.Hocon;

    private IHost? _host;

    public ActorSystem Host { get; private set; } = null!;
    public ActorSystem Asker { get; private set; } = null!;
    public IActorRef Proxy { get; private set; } = ActorRefs.Nobody;
    public SqliteLedgerStore Store { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var db = new DbSettings("sqlite", Repo.NewWorkDir("wire-two-nodes"), "ledger.db", "normal", TimeSpan.FromSeconds(5), "",
            MaxBatch: 64, Linger: TimeSpan.Zero, RetryAttempts: 3, RetryBaseDelay: TimeSpan.FromMilliseconds(10),
            RetryMaxDelay: TimeSpan.FromMilliseconds(100), IdempotencyRetention: TimeSpan.FromHours(48), KeyCleanupInterval: TimeSpan.FromHours(1));
        Store = new SqliteLedgerStore(db.SqlitePath, db.SqliteSynchronous, db.SqliteBusyTimeout);
        await Store.InitializeAsync(CancellationToken.None);
        var accounts = new AccountSettings(ShardCount, TimeSpan.FromMinutes(5), RecentKeys: 16, CommitTimeout: TimeSpan.FromSeconds(10));

        _host = new HostBuilder()
            .ConfigureServices(s => s.AddLogging().AddAkka(SystemName, (b, _) => b
                .AddHocon("akka.cluster.roles = [ledger]\n" + ClusterHocon, HoconAddMode.Prepend)
                .WithLedgerDb(Store, db)
                .WithSnapshotCache(new InProcessSnapshotCache(100))
                .WithAccountSharding(accounts)))
            .Build();
        await _host.StartAsync();
        Host = _host.Services.GetRequiredService<ActorSystem>();
        var hostCluster = Cluster.Get(Host);
        await UpAsync(hostCluster, () => hostCluster.Join(hostCluster.SelfAddress));

        Asker = ActorSystem.Create(SystemName, ConfigurationFactory.ParseString(ClusterHocon));
        var askerCluster = Cluster.Get(Asker);
        await UpAsync(askerCluster, () => askerCluster.Join(hostCluster.SelfAddress));
        // Role null: the host's region runs on members of any role.
        Proxy = await ClusterSharding.Get(Asker).StartProxyAsync(AccountShardingSetup.TypeName, role: null!, new AccountMessageExtractor(ShardCount));
    }

    private static async Task UpAsync(Cluster cluster, Action join)
    {
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        join();
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        if (Asker is not null) await Asker.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
