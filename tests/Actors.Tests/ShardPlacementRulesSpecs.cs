using ActorService.Actors.Accounts.Placement;
using Akka.Cluster;
using Akka.Util;
using Xunit;
using static ActorService.Actors.Accounts.Placement.NodeWarmth;

namespace ActorService.Actors.Tests;

/// <summary>
/// Where the shard coordinator puts shards while members change, without an actor system: warm nodes first, a draining
/// node emptied a few shards at a time, no balancing onto a node that is still cold.
/// </summary>
public sealed class ShardPlacementRulesSpecs
{
    private static readonly AppVersion V1 = AppVersion.Create("1.0.0"), V2 = AppVersion.Create("2.0.0");

    private static RegionView<string> Region(string name, NodeWarmth warmth, int shards, MemberStatus? status = null, AppVersion? version = null) =>
        new(name, status ?? MemberStatus.Up, version ?? V1, warmth, Enumerable.Range(0, shards).Select(i => $"{name}-{i}").ToList());

    private static readonly IReadOnlySet<string> NoneMoving = new HashSet<string>();

    [Fact]
    public void Should_give_a_new_shard_to_the_warm_node_with_fewest_shards_when_a_colder_node_has_fewer()
    {
        var regions = new[] { Region("a", Warm, 40), Region("b", Warm, 30), Region("c", Cold, 0) };
        Assert.Equal("b", ShardPlacementRules.Home(regions));
    }

    [Fact]
    public void Should_give_a_new_shard_to_a_cold_node_when_no_node_is_warm_yet()
    {
        var regions = new[] { Region("a", Cold, 3), Region("b", Cold, 1), Region("c", Draining, 0) };
        Assert.Equal("b", ShardPlacementRules.Home(regions));
    }

    [Fact]
    public void Should_never_give_a_new_shard_to_a_draining_or_leaving_node_when_another_can_take_it()
    {
        var regions = new[] { Region("a", Draining, 0), Region("b", Warm, 50, MemberStatus.Leaving), Region("c", Cold, 60) };
        Assert.Equal("c", ShardPlacementRules.Home(regions));
    }

    [Fact]
    public void Should_still_give_a_shard_a_home_when_the_only_node_drains()
    {
        Assert.Equal("a", ShardPlacementRules.Home(new[] { Region("a", Draining, 7) }));
    }

    [Fact]
    public void Should_prefer_the_newer_release_when_warm_nodes_run_two_versions()
    {
        var regions = new[] { Region("old", Warm, 1, version: V1), Region("new", Warm, 40, version: V2) };
        Assert.Equal("new", ShardPlacementRules.Home(regions));
    }

    [Fact]
    public void Should_move_a_draining_nodes_shards_a_few_at_a_time_when_other_nodes_can_take_them()
    {
        var regions = new[] { Region("a", Warm, 33), Region("b", Warm, 34), Region("c", Draining, 33) };
        var first = ShardPlacementRules.DrainMoves(regions, NoneMoving, atOnce: 5);
        Assert.Equal(5, first.Count);
        Assert.All(first, s => Assert.StartsWith("c-", s));

        // Three still moving: two more may start, and none of those already moving is chosen again.
        var moving = first.Take(3).ToHashSet();
        var next = ShardPlacementRules.DrainMoves(regions, moving, atOnce: 5);
        Assert.Equal(2, next.Count);
        Assert.Empty(next.Intersect(moving));
    }

    [Fact]
    public void Should_move_nothing_off_a_draining_node_when_no_node_that_is_up_and_not_draining_could_take_it()
    {
        var regions = new[] { Region("a", Draining, 50), Region("b", Draining, 50) };
        Assert.Empty(ShardPlacementRules.DrainMoves(regions, NoneMoving, atOnce: 5));
        Assert.Empty(ShardPlacementRules.DrainMoves(new[] { Region("a", Draining, 50), Region("b", Warm, 50, MemberStatus.Leaving) }, NoneMoving, 5));
    }

    [Fact]
    public void Should_not_balance_while_a_node_that_is_up_is_still_cold()
    {
        var regions = new[] { Region("a", Warm, 50), Region("b", Warm, 50), Region("c", Cold, 0) };
        Assert.Null(ShardPlacementRules.BalanceAmong(regions));
    }

    [Fact]
    public void Should_not_balance_while_a_draining_node_still_hosts_shards()
    {
        var regions = new[] { Region("a", Warm, 40), Region("b", Warm, 10), Region("c", Draining, 1) };
        Assert.True(ShardPlacementRules.AnyDrainingWithShards(regions));
        Assert.Null(ShardPlacementRules.BalanceAmong(regions));
    }

    [Fact]
    public void Should_balance_among_the_warm_nodes_only_when_a_drained_node_is_empty()
    {
        // The emptied draining region would look like the least loaded one: it must not be offered to the balance.
        var regions = new[] { Region("a", Warm, 50), Region("b", Warm, 50), Region("c", Draining, 0) };
        var among = ShardPlacementRules.BalanceAmong(regions);
        Assert.NotNull(among);
        Assert.Equal(["a", "b"], among!.Select(r => r.Region));
    }

    [Fact]
    public void Should_cut_the_balances_choice_to_what_may_move_at_once_when_it_chose_more()
    {
        var chosen = Enumerable.Range(0, 20).Select(i => $"s{i}").ToList();
        Assert.Equal(5, ShardPlacementRules.Limit(chosen, NoneMoving, atOnce: 5).Count);
        var moving = new HashSet<string> { "s0", "x" };
        var limited = ShardPlacementRules.Limit(chosen, moving, atOnce: 5);
        Assert.Equal(3, limited.Count);
        Assert.DoesNotContain("s0", limited);
    }
}
