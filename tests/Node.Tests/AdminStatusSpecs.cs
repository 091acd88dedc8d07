using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>GET /admin/status on a serving node: guarded by the admin token, and the JSON an operator reads first.</summary>
public sealed class AdminStatusSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private HttpClient Http => fixture.Node.Http;
    private HttpClient Management => fixture.Node.Management;
    private const string ProblemPrefix = "/problems/";

    [Fact]
    public async Task Should_refuse_status_with_a_problem_when_the_token_is_missing_or_wrong()
    {
        var none = await Management.Status(token: null);
        Assert.Equal((HttpStatusCode.Unauthorized, ProblemPrefix + "unauthorized"), (none.Status, none.ProblemType));
        Assert.Equal("Bearer", none.Response.Headers.WwwAuthenticate.ToString());
        var wrong = await Management.Status("not-the-token");
        Assert.Equal((HttpStatusCode.Forbidden, ProblemPrefix + "forbidden"), (wrong.Status, wrong.ProblemType));
        Assert.False(wrong.Body.TryGetProperty("node", out _), $"a refused status must not leak anything: {wrong}");
    }

    [Fact]
    public async Task Should_report_node_version_members_and_counts_when_serving()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.Deposit("status-" + Guid.NewGuid().ToString("N")[..8], 3)).Status);

        var answer = await Management.Status(SingleNodeFixture.AdminToken);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var s = answer.Body;
        var launch = fixture.Node.Launch;
        Assert.Equal($"akka.tcp://actor-service@127.0.0.1:{launch.ClusterPort}", s.GetProperty("node").GetString());
        Assert.False(string.IsNullOrEmpty(s.GetProperty("appVersion").GetString()));
        Assert.True(s.GetProperty("ready").GetBoolean());
        Assert.False(s.GetProperty("draining").GetBoolean());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("shutdownPhase").ValueKind);
        Assert.Equal(JsonValueKind.Null, s.GetProperty("shutdownId").ValueKind);
        Assert.Equal(1, s.GetProperty("inFlightRequests").GetInt32()); // this request
        Assert.True(s.GetProperty("activeEntities").GetInt64() >= 1, s.ToString());
        Assert.True(s.GetProperty("shards").GetInt32() >= 1, s.ToString());
        Assert.True(s.GetProperty("entityMailboxDepth").GetInt64() >= 0, s.ToString());
        Assert.True(s.TryGetProperty("outboxBacklog", out var outbox) && outbox.ValueKind is JsonValueKind.Null or JsonValueKind.Number,
            $"outboxBacklog is a number, or null when this build has no outbox: {s}");

        var member = Assert.Single(s.GetProperty("members").EnumerateArray());
        Assert.Equal(s.GetProperty("node").GetString(), member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.Equal(s.GetProperty("appVersion").GetString(), member.GetProperty("appVersion").GetString());
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.True(member.GetProperty("leader").GetBoolean());
    }
}
