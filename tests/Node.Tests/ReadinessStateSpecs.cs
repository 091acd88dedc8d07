using ActorService.Node.Health;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>The readiness flips counted for actorservice_readiness_changes_total (what the flapping alert reads).</summary>
public sealed class ReadinessStateSpecs
{
    [Fact]
    public void Should_count_one_change_per_flip_of_readiness_when_conditions_come_and_go()
    {
        var readiness = new ReadinessState();
        readiness.MarkResourcesOpen();
        readiness.MarkWarmedUp();
        Assert.Equal(0, readiness.Changes); // not ready before and after: not a flip
        readiness.MarkMemberUp();
        Assert.True(readiness.IsReady);
        Assert.Equal(1, readiness.Changes);
        readiness.MarkMemberUp();
        Assert.Equal(1, readiness.Changes); // already ready
        readiness.MarkMemberGone();
        readiness.MarkMemberUp();
        Assert.Equal(3, readiness.Changes);
        Assert.True(readiness.MarkDraining());
        Assert.False(readiness.MarkDraining());
        readiness.MarkMemberGone();
        Assert.Equal(4, readiness.Changes); // draining flipped it once; losing the member while draining changes nothing
        Assert.False(readiness.IsReady);
    }

    [Fact]
    public void Should_say_warming_up_and_stay_not_ready_when_joined_with_resources_open_until_the_warm_up_ran()
    {
        var readiness = new ReadinessState();
        readiness.MarkResourcesOpen();
        readiness.MarkMemberUp();
        Assert.False(readiness.IsReady);
        Assert.Equal("warming up", readiness.Reason);
        readiness.MarkWarmedUp();
        Assert.True(readiness.IsReady);
        Assert.Equal(1, readiness.Changes);
    }
}
