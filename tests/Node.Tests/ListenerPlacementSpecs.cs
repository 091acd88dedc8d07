using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Which route answers on which listener (docs/api.md, "Listeners"), against a node built in-process on two real
/// ports: admin, /metrics and the test hooks are unknown routes on the public port (the same 404 problem as a path that
/// never existed, so a stranger cannot tell them apart) and work on the management port; the ledger API and its
/// OpenAPI document are unknown routes on the management port; the probes answer on both. The listener is the
/// connection's local port: a Host header naming the other port changes nothing.
/// </summary>
public sealed class ListenerPlacementSpecs(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private const string Unknown = "no-such-route/at-all";

    private InProcessNode Node => fixture.Node;

    public static TheoryData<string, string> ManagementOnly => new()
    {
        { "GET", "admin/status" },
        { "POST", "admin/drain" },
        { "POST", "admin/cluster/leave?address=akka.tcp://x@127.0.0.1:1" },
        { "POST", "admin/status" },                                        // a known path with the wrong method: 404 too, not 405
        { "GET", "metrics" },
        { "POST", "admin/test/background?name=x&seconds=0&cooperative=true" },
        { "POST", "test/hold?seconds=0" },
    };

    [Theory]
    [MemberData(nameof(ManagementOnly))]
    public async Task Should_answer_like_an_unknown_route_when_a_management_route_is_asked_on_the_public_port(string method, string path)
    {
        var expected = await SendAsync(Node.Http, "GET", Unknown);
        var answer = await SendAsync(Node.Http, method, path);
        AssertSameAsUnknown(expected, answer, $"{method} /{path} on the public port {Node.Launch.HttpPort}");
    }

    [Theory]
    [InlineData("GET", "accounts/listener-probe")]
    [InlineData("POST", "accounts/listener-probe/deposit")]
    [InlineData("POST", "accounts/listener-probe/withdraw")]
    [InlineData("GET", "openapi/v1.json")]
    public async Task Should_answer_like_an_unknown_route_when_a_public_route_is_asked_on_the_management_port(string method, string path)
    {
        var expected = await SendAsync(Node.Management, "GET", Unknown);
        var answer = await SendAsync(Node.Management, method, path);
        AssertSameAsUnknown(expected, answer, $"{method} /{path} on the management port {Node.Launch.ManagementPort}");
    }

    [Fact]
    public async Task Should_serve_admin_metrics_and_test_hooks_when_asked_on_the_management_port()
    {
        var status = await SendAsync(Node.Management, "GET", "admin/status");
        Assert.True(status.Status == HttpStatusCode.OK, $"admin/status on the management port: {status.Status} {status.Text}");
        var metrics = await SendAsync(Node.Management, "GET", "metrics");
        Assert.True(metrics.Status == HttpStatusCode.OK && metrics.Text.Contains("actorservice_ready", StringComparison.Ordinal),
            $"/metrics on the management port: {metrics.Status} {metrics.Text[..Math.Min(300, metrics.Text.Length)]}");
        var hold = await SendAsync(Node.Management, "POST", "test/hold?seconds=0");
        Assert.True(hold.Status == HttpStatusCode.OK, $"test/hold on the management port: {hold.Status} {hold.Text}");
    }

    [Fact]
    public async Task Should_serve_the_ledger_and_its_document_on_the_public_port_and_the_probes_on_both()
    {
        var deposit = await Node.Http.Deposit("listener-" + Guid.NewGuid().ToString("N")[..8], 2);
        Assert.True(deposit.Status == HttpStatusCode.OK, $"deposit on the public port: {deposit}");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Node.Http, "GET", "openapi/v1.json")).Status);
        foreach (var (name, http) in new[] { ("public", Node.Http), ("management", Node.Management) })
            foreach (var probe in new[] { "health/live", "health/ready" })
                Assert.True((await SendAsync(http, "GET", probe)).Status == HttpStatusCode.OK, $"/{probe} on the {name} port");
    }

    [Fact]
    public async Task Should_decide_by_the_connection_port_when_the_host_header_names_the_other_listener()
    {
        var expected = await SendAsync(Node.Http, "GET", Unknown);
        var spoofed = await SendAsync(Node.Http, "GET", "admin/status", host: $"127.0.0.1:{Node.Launch.ManagementPort}");
        AssertSameAsUnknown(expected, spoofed, "admin/status on the public port with the management port's Host header");
    }

    private sealed record Reply(HttpStatusCode Status, string? ContentType, string Text)
    {
        /// <summary>The body without what differs between any two requests (the trace id).</summary>
        public string Comparable => Text.Length == 0 ? "" : JsonSerializer.Serialize(
            JsonDocument.Parse(Text).RootElement.EnumerateObject().Where(p => p.Name is not ("traceId" or "instance")).ToDictionary(p => p.Name, p => p.Value));
    }

    private static async Task<Reply> SendAsync(HttpClient http, string method, string path, string? host = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        // The right token: a refusal must come from the listener, not from the admin guard.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SingleNodeFixture.AdminToken);
        if (host is not null) request.Headers.Host = host;
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return new Reply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static void AssertSameAsUnknown(Reply unknown, Reply answer, string what)
    {
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("application/problem+json", unknown.ContentType);
        Assert.True(answer.Status == unknown.Status && answer.ContentType == unknown.ContentType && answer.Comparable == unknown.Comparable,
            $"{what}: answered {(int)answer.Status} {answer.ContentType} {answer.Text}; an unknown route answers {(int)unknown.Status} {unknown.ContentType} {unknown.Text}");
    }
}
