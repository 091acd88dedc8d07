using ActorService.Actors.Accounts;
using ActorService.TestSupport;
using Akka.Actor;
using Akka.Configuration;
using Xunit;

namespace ActorService.Actors.Tests;

/// <summary>
/// The node-wide signal the entities read: it turns on when this node sees a member unreachable (two real
/// ActorSystems on loopback, one of them stopped without leaving) and off again when that member is removed.
/// About 10 s: Akka's failure detector needs a few missed heartbeats.
/// </summary>
public sealed class ReachabilitySignalSpecs : IAsyncLifetime
{
    private const string Hocon = LedgerTestBed.SingleNodeClusterHocon + """

        akka.cluster.failure-detector { heartbeat-interval = 200ms, acceptable-heartbeat-pause = 1s }
        akka.cluster.run-coordinated-shutdown-when-down = off
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        actor-service.cluster.verify-reads-after-downing = 3s
        """;

    private readonly ActorSystem _node = ActorSystem.Create("reach", ConfigurationFactory.ParseString(Hocon));
    private readonly ActorSystem _other = ActorSystem.Create("reach", ConfigurationFactory.ParseString(Hocon));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _other.Terminate();
        await _node.Terminate();
    }

    [Fact]
    public async Task Should_report_unreachable_while_a_member_is_cut_off_and_clear_when_it_is_removed()
    {
        await LedgerTestBed.JoinSelfAsync(_node);
        var up = new TaskCompletionSource();
        var otherCluster = Akka.Cluster.Cluster.Get(_other);
        otherCluster.RegisterOnMemberUp(() => up.TrySetResult());
        otherCluster.Join(Akka.Cluster.Cluster.Get(_node).SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var signal = ReachabilitySignal.For(_node);
        Assert.False(signal.AnyUnreachable, "both members are up and reachable");

        var address = otherCluster.SelfAddress;
        await _other.Terminate(); // gone without leaving: a crash or a partition, as far as the other node can tell
        await Eventually.True(() => signal.AnyUnreachable, TimeSpan.FromSeconds(20), $"{address} to be seen unreachable");

        Assert.False(signal.RecentlyDowned, "nobody was downed yet");
        Akka.Cluster.Cluster.Get(_node).Down(address);
        await Eventually.True(() => !signal.AnyUnreachable, TimeSpan.FromSeconds(20), $"{address} to be removed");
        // The downed side may still commit before it stops itself: reads keep going to the database for a while.
        Assert.True(signal.RecentlyDowned && signal.ReadsNeedTheDatabase, "reads must go to the database right after a downing");
        await Eventually.True(() => !signal.ReadsNeedTheDatabase, TimeSpan.FromSeconds(20), "verify-reads-after-downing (3 s) to pass");
    }
}
