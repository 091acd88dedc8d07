using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// /admin/* against nodes built in-process: no token or a malformed Authorization header is 401, a wrong token is 403, the right
/// token works, and a node without a configured token has admin disabled (403 for everyone) rather than open.
/// Every refused drain leaves the node serving.
/// </summary>
public sealed class AdminAuthSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private const string ProblemPrefix = "/problems/";

    public static TheoryData<string, string?> MissingOrMalformed => new()
    {
        { "no Authorization header", null },
        { "Basic scheme", "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + SingleNodeFixture.AdminToken)) },
        { "Bearer without a token", "Bearer " },
        { "the bare token without a scheme", SingleNodeFixture.AdminToken },
    };

    [Theory]
    [MemberData(nameof(MissingOrMalformed))]
    public async Task Should_answer_401_and_not_drain_when_the_bearer_token_is_missing_or_malformed(string name, string? authorization)
    {
        foreach (var (method, path) in AdminRoutes)
        {
            var answer = await Send(fixture.Node, method, path, authorization);
            Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"{name} on {method} /{path}: expected 401, got {answer}");
            Assert.Equal(ProblemPrefix + "unauthorized", answer.ProblemType);
            Assert.Contains("Bearer", answer.Response.Headers.WwwAuthenticate.ToString());
        }
        await AssertStillServing(fixture.Node);
    }

    public static TheoryData<string, string> WrongTokens => new()
    {
        { "another token", "not-the-admin-token" },
        { "a prefix of the token", SingleNodeFixture.AdminToken[..^1] },
        { "the token with a suffix", SingleNodeFixture.AdminToken + "x" },
        { "the token in upper case", SingleNodeFixture.AdminToken.ToUpperInvariant() },
        { "the token of another node", SingleNodeFixture.AdminToken[..^1] + "0" },
    };

    [Theory]
    [MemberData(nameof(WrongTokens))]
    public async Task Should_answer_403_and_not_drain_when_the_token_is_wrong(string name, string token)
    {
        foreach (var (method, path) in AdminRoutes)
        {
            var answer = await Send(fixture.Node, method, path, "Bearer " + token);
            Assert.True(answer.Status == HttpStatusCode.Forbidden, $"{name} on {method} /{path}: expected 403, got {answer}");
            Assert.Equal(ProblemPrefix + "forbidden", answer.ProblemType);
        }
        await AssertStillServing(fixture.Node);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("bearer")] // the scheme is case-insensitive (RFC 9110 §11.1)
    public async Task Should_answer_status_when_the_token_is_right(string scheme)
    {
        var status = await Send(fixture.Node, HttpMethod.Get, "admin/status", $"{scheme} {SingleNodeFixture.AdminToken}");
        Assert.True(status.Status == HttpStatusCode.OK, $"expected 200, got {status}");
        Assert.StartsWith("akka.tcp://", status.Body.GetProperty("node").GetString());
        Assert.Equal("Up", Assert.Single(status.Body.GetProperty("members").EnumerateArray()).GetProperty("status").GetString());
        Assert.DoesNotContain(SingleNodeFixture.AdminToken, status.Body.GetRawText());
    }

    [Fact]
    public async Task Should_disable_admin_and_keep_serving_when_no_token_is_configured()
    {
        await using var node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("admin-off")));
        foreach (var authorization in new[] { null, "Bearer ", "Bearer anything", "Bearer \"\"" })
        foreach (var (method, path) in AdminRoutes)
        {
            var answer = await Send(node, method, path, authorization);
            Assert.True(answer.Status == HttpStatusCode.Forbidden, $"'{authorization}' on {method} /{path}: expected 403, got {answer}");
            Assert.Equal(ProblemPrefix + "admin-disabled", answer.ProblemType);
        }
        await AssertStillServing(node);
    }

    // The drain goes last: were any guard to let it through, the node stops and AssertStillServing fails.
    private static readonly (HttpMethod, string)[] AdminRoutes = [(HttpMethod.Get, "admin/status"), (HttpMethod.Post, "admin/drain")];

    private static async Task<LedgerClient.Answer> Send(InProcessNode node, HttpMethod method, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(method, path);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var answer = await LedgerClient.Send(node.Management, request);
        if (answer.Status != HttpStatusCode.OK)
            Assert.True(answer.ContentType == "application/problem+json", $"{method} /{path} refused without problem+json: {answer}");
        return answer;
    }

    private static async Task AssertStillServing(InProcessNode node)
    {
        var ready = await node.Http.GetAsync("health/ready");
        Assert.True(ready.StatusCode == HttpStatusCode.OK && !node.HasExited,
            $"{node.Name} must still be ready after a refused admin request, got {(int)ready.StatusCode}; log: {node.LogPath}\n{node.Tail()}");
    }
}
