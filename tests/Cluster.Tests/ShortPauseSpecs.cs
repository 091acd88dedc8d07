using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// The other side of <see cref="FreezeSpecs"/>: a pause longer than <c>pause-fence.after</c> (1 s) but shorter than
/// the failure detector's patience (~2 s), as a long GC pause or a VM hiccup makes. The node must fence itself on
/// waking (it cannot know yet whether the others downed it), be confirmed by a majority, and then serve again: it must
/// not leave, and what was written before the pause is still there. A fence that never lifts would turn every such
/// hiccup into a node that is never ready again.
/// </summary>
public sealed class ShortPauseSpecs
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(1300);

    [Fact]
    public async Task Should_fence_itself_then_serve_again_without_leaving_when_a_node_stands_still_for_a_moment()
    {
        await using var cluster = await LocalCluster.StartAsync("short-pause", 3);
        var node = cluster[2];
        var peers = new[] { cluster[0], cluster[1] };
        const string id = "short-pause-a1";
        var before = await node.Http.Deposit(id, 5, key: "short-pause-1");
        Assert.True(before.Status == HttpStatusCode.OK, $"deposit before the pause: {before}");

        using (Signals.Freeze(node.Pid))
            await Task.Delay(Pause); // the fault itself lasts this long: nothing is waited for

        await node.WaitForLogAsync(l => l.Contains("stood still for", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "the woken node noticing its pause and fencing itself");
        await node.WaitForLogAsync(l => l.Contains("Membership confirmed", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            "a majority confirming it is still a member");
        await Eventually.True(async () => (await node.Management.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "the node ready again after the confirmation");

        var after = await node.Http.Deposit(id, 7, key: "short-pause-2");
        Assert.True(after.Status == HttpStatusCode.OK, $"deposit through the node after the pause: {after}");
        var read = await peers[0].Http.GetAccount(id);
        Assert.True(read.Status == HttpStatusCode.OK && read.Body.GetProperty("balance").GetInt64() == 12,
            $"balance after 5 + 7 read through node1: {read}");
        Assert.False(node.HasExited, $"node3 left after a {Pause.TotalMilliseconds} ms pause\n{node.Tail(30)}");
        var downed = peers.SelectMany(p => p.Lines).Where(l => l.Contains("SBR took decision", StringComparison.Ordinal)).ToList();
        Assert.True(downed.Count == 0, $"a peer's split brain resolver decided on a {Pause.TotalMilliseconds} ms pause: {string.Join("; ", downed)}");
    }
}
