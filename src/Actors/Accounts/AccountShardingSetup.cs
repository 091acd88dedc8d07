using ActorService.Actors.Accounts.Placement;
using ActorService.Actors.Diagnostics;
using ActorService.Actors.Settings;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static ActorService.Actors.Accounts.AccountCommands;

namespace ActorService.Actors.Accounts;

/// <summary>
/// What every account entity of a node shares: the db and cache actors, the settings, the logger, the node's
/// <see cref="ReachabilitySignal"/> and its <see cref="LedgerMetrics"/>. One instance per shard region, so each of a
/// million entities holds one reference to it instead of one to each.
/// </summary>
public sealed record AccountEnvironment(IActorRef Db, IActorRef Cache, AccountSettings Settings, ILogger Logger, ReachabilitySignal Reachability, LedgerMetrics Metrics)
{
    /// <summary>Without a logger, and with a signal nobody sets (no cluster): specs.</summary>
    public AccountEnvironment(IActorRef db, IActorRef cache, AccountSettings settings, LedgerMetrics metrics)
        : this(db, cache, settings, NullLogger.Instance, new ReachabilitySignal(), metrics) { }
}

/// <summary>How account entities are created: one <see cref="Props"/> per entity (specs), or one for a whole shard region.</summary>
public static class AccountProps
{
    /// <summary>One entity for <paramref name="accountId"/>.</summary>
    public static Props For(string accountId, AccountEnvironment environment) => Props.CreateBy(new Producer(accountId, environment));

    /// <summary>
    /// One <see cref="Props"/> for every entity of the shard region: each entity takes its account id from its actor
    /// name, which sharding sets to the (escaped) entity id. An expression-built Props per activation cost a Props, an
    /// argument array and an expression tree each, and Akka compiled the expression's <c>??</c> argument into a delegate
    /// at every activation (bench/ measured activations at 2,000/s with it).
    /// </summary>
    public static Props ForShardRegion(AccountEnvironment environment) => Props.CreateBy(new Producer(null, environment));

    private sealed class Producer(string? accountId, AccountEnvironment environment) : IIndirectActorProducer
    {
        public Type ActorType => typeof(AccountActor);
        public ActorBase Produce() => new AccountActor(accountId, environment);
        public void Release(ActorBase actor) { }
    }
}

/// <summary>Registers the account shard region with Akka.Hosting.</summary>
public static class AccountShardingSetup
{
    public const string TypeName = "account";

    public static AkkaConfigurationBuilder WithAccountSharding(this AkkaConfigurationBuilder builder, AccountSettings settings)
    {
        var options = new ShardOptions
        {
            HandOffStopMessage = StopEntity.Instance,
            RememberEntities = false,
            // The shard sends StopEntity to an entity that got no message for this long (checked every half of it).
            PassivateIdleEntityAfter = settings.PassivateAfter,
        };
        // Akka.Hosting's WithShardRegion always takes Akka's default allocation strategy; this is the same start with
        // ours (Placement/WarmFirstAllocationStrategy): shards go to warm nodes, and off draining ones a few at a time.
        builder.AddHocon(ClusterSharding.DefaultConfig()
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig())
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig()), HoconAddMode.Append);
        return builder.WithSchedulerStarted().WithEntityMailbox().StartActors(async (system, registry, resolver) =>
        {
            var environment = new AccountEnvironment(registry.Get<LedgerDb>(), registry.Get<SnapshotCache>(), settings,
                resolver.GetService<ILoggerFactory>().CreateLogger<AccountActor>(), ReachabilitySignal.For(system), LedgerMetrics.For(system));
            // The counting mailbox gives the node its entity mailbox depth (a metric and the drain samples).
            var props = AccountProps.ForShardRegion(environment).WithMailbox(EntityMailbox.ConfigPath);
            var sharding = ConfigurationFactory.ParseString(options.ToString()).WithFallback(system.Settings.Config.GetConfig("akka.cluster.sharding"));
            var shardingSettings = ClusterShardingSettings.Create(sharding, system.Settings.Config.GetConfig(sharding.GetString("coordinator-singleton")));
            var strategy = new WarmFirstAllocationStrategy(settings.ShardMovesAtOnce,
                shardingSettings.TuningParameters.LeastShardAllocationAbsoluteLimit, shardingSettings.TuningParameters.LeastShardAllocationRelativeLimit);
            var region = await ClusterSharding.Get(system).StartAsync(TypeName, props, shardingSettings,
                new AccountMessageExtractor(settings.ShardCount), strategy, StopEntity.Instance);
            registry.Register<AccountRegion>(region);
        });
    }
}
