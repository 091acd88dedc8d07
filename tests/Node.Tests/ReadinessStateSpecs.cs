using ActorService.Actors.Accounts;
using ActorService.Node.Health;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>The readiness flips counted for actorservice_readiness_changes_total (what the flapping alert reads).</summary>
public sealed class ReadinessStateSpecs
{
    [Fact]
    public void Should_count_one_change_per_flip_of_readiness_when_conditions_come_and_go()
    {
        var readiness = new ReadinessState(new PauseFence());
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
        var readiness = new ReadinessState(new PauseFence());
        readiness.MarkResourcesOpen();
        readiness.MarkMemberUp();
        Assert.False(readiness.IsReady);
        Assert.Equal("warming up", readiness.Reason);
        readiness.MarkWarmedUp();
        Assert.True(readiness.IsReady);
        Assert.Equal(1, readiness.Changes);
    }

    [Fact]
    public async Task Should_stop_being_ready_and_say_why_when_its_own_fence_goes_up_after_a_pause()
    {
        using var fence = new PauseFence(); // disposing it ends its detector thread
        var readiness = new ReadinessState(fence);
        readiness.MarkResourcesOpen();
        readiness.MarkMemberUp();
        readiness.MarkWarmedUp();
        Assert.True(readiness.IsReady);

        // Any gap between the detector's 100 ms ticks is longer than 1 ms: to this fence, the process keeps pausing.
        fence.Start(TimeSpan.FromMilliseconds(1));
        await Eventually.True(() => !readiness.IsReady, TimeSpan.FromSeconds(5), "readiness to turn 503 under the fence");
        Assert.Equal("paused: membership not yet confirmed", readiness.Reason);

        // The fence belongs to its host: another host in this process (its own fence, never started) is not fenced.
        var other = new ReadinessState(new PauseFence());
        other.MarkResourcesOpen();
        other.MarkMemberUp();
        other.MarkWarmedUp();
        Assert.True(other.IsReady, other.Reason);
    }
}
