using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Cluster.Tests;

/// <summary>
/// A write that finds no answer within the request timeout may have been applied, whether the entity itself was slow
/// in a steady cluster or the cluster was changing (its node died): 504 outcome-unknown + Retry-After, with the
/// Idempotency-Key to retry with, never a 503 that would claim nothing happened.
/// </summary>
public sealed class TimeoutAnswerSpecs
{
    // A short request timeout makes the case quick; settle 0s: only a member that is not Up counts as a change.
    private static readonly string[] SteadySingleNode = ["actor-service.http.request-timeout = 2s", "actor-service.cluster.settle = 0s"];

    [Fact]
    public async Task Should_answer_504_when_the_entity_is_too_slow_in_a_steady_cluster()
    {
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("slow")) with { Hocon = SteadySingleNode });
        var answer = await node.Http.Deposit("slow-account", 5, key: "slow-1", delayMs: 4000);
        Assert.True(answer.Status == HttpStatusCode.GatewayTimeout && answer.ProblemType == "/problems/outcome-unknown", $"slow entity in a steady cluster: {answer}");
        Assert.Equal("slow-1", Assert.Single(answer.Response.Headers.GetValues("Idempotency-Key")));
    }

    [Fact]
    public async Task Should_answer_504_outcome_unknown_with_retry_after_when_the_node_of_the_entity_dies()
    {
        // The dead node's shards are reallocated only 15 s after it is removed (down-removal-margin), so a request for
        // them cannot be served within its 4 s: it times out while the cluster is changing (unreachable, downed, removed).
        await using var cluster = await LocalCluster.StartAsync("degraded", 3, l => l with
        {
            Hocon = ["actor-service.http.request-timeout = 4s", "akka.cluster.down-removal-margin = 15s"],
        });
        var probe = new ShardProbe(ClusterScenario.ShardCount, "degraded");
        foreach (var account in probe.Accounts) await cluster[0].Http.GetAccount(account);
        var shard = int.Parse((await LocalCluster.StatusAsync(cluster[2])).GetProperty("shardIds").EnumerateArray().First().GetString()!);
        var account3 = probe.Accounts[shard];

        cluster[2].Signal(Signals.SIGKILL);
        await cluster[2].WaitForExitAsync(TimeSpan.FromSeconds(10));
        var answer = await cluster[0].Http.Deposit(account3, 5, key: "degraded-1");
        Assert.True(answer.Status == HttpStatusCode.GatewayTimeout && answer.ProblemType == "/problems/outcome-unknown",
            $"write to {account3} (shard {shard}, on the killed node3): {answer}");
        Assert.True(answer.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"504 without Retry-After: {answer.Response.Headers}");

        // Retrying with the same key, as the answer invites, applies the deposit exactly once once the shard moved.
        var retried = await Eventually.Get(async () =>
        {
            var a = await cluster[1].Http.Deposit(account3, 5, key: "degraded-1");
            return a.Status == HttpStatusCode.OK ? a : null;
        }, TimeSpan.FromSeconds(45), $"the retried deposit to {account3}");
        Assert.Equal(5, (await cluster[0].Http.GetAccount(account3)).Balance);
        Assert.True(retried.Balance == 5, $"retried deposit: {retried}");
    }
}
