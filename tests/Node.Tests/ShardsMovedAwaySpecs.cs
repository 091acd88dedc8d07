using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using ActorService.Node.Shutdown;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The drain's wait for the coordinator to move this node's shards away, against a stand-in for the local region that
/// answers its shard count as scripted: the wait ends on the first true reason, a region that does not answer is a
/// poll that saw nothing (not the end of the wait), and a count that never came says so instead of a number.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ShardsMovedAwaySpecs : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("shards-moved-away");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;
    public async ValueTask DisposeAsync() => await _system.Terminate();

    /// <summary>Answers GetShardRegionStats with the next scripted count (null: no answer at all); the last one repeats.</summary>
    private sealed class ScriptedRegion : ReceiveActor
    {
        private int _next;

        public ScriptedRegion(IReadOnlyList<(int Answered, int Failed)?> script) => Receive<GetShardRegionStats>(_ =>
        {
            var step = script[Math.Min(_next++, script.Count - 1)];
            if (step is not { } counts) return;
            var answered = Enumerable.Range(0, counts.Answered).ToImmutableDictionary(i => $"s{i}", _ => 1);
            var failed = Enumerable.Range(0, counts.Failed).Select(i => $"f{i}").ToImmutableHashSet();
            Sender.Tell(new ShardRegionStats(answered, failed));
        });
    }

    private static readonly (int, int)? NoAnswer = null;

    private IActorRef Region(params (int, int)?[] script) => _system.ActorOf(Props.Create(() => new ScriptedRegion(script)));

    [Fact]
    public async Task Should_count_shards_that_missed_the_regions_query_timeout_as_still_hosted()
    {
        Assert.Equal(7, await ShardsMovedAway.TryCountHostedAsync(Region((5, 2))));
    }

    [Fact]
    public async Task Should_end_with_none_left_when_the_coordinator_has_moved_every_shard()
    {
        var outcome = await ShardsMovedAway.WaitAsync(Region((10, 0), (5, 0), (0, 0)), () => true, TimeSpan.FromSeconds(3));
        Assert.Equal((10, 0, "none left"), (outcome.AtStart, outcome.Left, outcome.Why));
    }

    [Fact]
    public async Task Should_keep_waiting_past_an_unanswered_count_and_report_the_next_one()
    {
        var outcome = await ShardsMovedAway.WaitAsync(Region(NoAnswer, (4, 1), (0, 0)), () => true, TimeSpan.FromSeconds(3));
        Assert.Equal((5, 0, "none left"), (outcome.AtStart, outcome.Left, outcome.Why));
        Assert.True(outcome.Took >= TimeSpan.FromSeconds(1), $"the first poll waited for an answer that never came, then polled again; took {outcome.Took}");
    }

    [Fact]
    public async Task Should_say_the_count_is_not_known_when_the_region_never_answers_before_the_deadline()
    {
        var deadline = TimeSpan.FromSeconds(2);
        var outcome = await ShardsMovedAway.WaitAsync(Region(NoAnswer), () => true, deadline);
        Assert.Equal((null, null, "the region did not answer before the deadline"), (outcome.AtStart, outcome.Left, outcome.Why));
        Assert.True(outcome.Took >= deadline && outcome.Took < deadline + TimeSpan.FromSeconds(2), $"took {outcome.Took} for a deadline of {deadline}");
    }

    [Fact]
    public async Task Should_stop_at_once_when_no_other_member_is_up_to_take_the_shards()
    {
        var outcome = await ShardsMovedAway.WaitAsync(Region((8, 0)), () => false, TimeSpan.FromSeconds(3));
        Assert.Equal((8, 8, "no other member is up to take them"), (outcome.AtStart, outcome.Left, outcome.Why));
        Assert.True(outcome.Took < TimeSpan.FromSeconds(1), $"took {outcome.Took}");
    }

    [Fact]
    public async Task Should_stop_when_no_shard_has_moved_for_the_stall_window()
    {
        var outcome = await ShardsMovedAway.WaitAsync(Region((9, 0), (6, 0)), () => true, TimeSpan.FromSeconds(10));
        Assert.Equal((9, 6), (outcome.AtStart, outcome.Left));
        Assert.StartsWith("none moved for", outcome.Why);
        Assert.True(outcome.Took >= ShardsMovedAway.StallWindow && outcome.Took < TimeSpan.FromSeconds(5), $"took {outcome.Took}");
    }
}
