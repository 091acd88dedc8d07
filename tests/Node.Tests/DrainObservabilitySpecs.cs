using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// What an operator sees while a real node drains: /metrics keeps answering (it passes the intake gate) and counts
/// the refusals, /admin/status names the running phase and the request still in flight.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class DrainObservabilitySpecs
{
    private const string Token = "drain-admin-token-0123456789abcdef";

    [Fact]
    public async Task Should_keep_answering_scrapes_with_refusals_and_phase_durations_when_draining()
    {
        var dir = Repo.NewWorkDir("drain-metrics");
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with
        {
            LbDelay = "200ms",
            ReportPath = Path.Combine(dir, "report.json"),
            // A long refuse window keeps the listener open while the held write runs, so the drain can be scraped.
            Hocon =
            [
                "actor-service.drain.refuse-window = 4s", "akka.coordinated-shutdown.phases.service-unbind.timeout = 5s",
                .. DrainHarness.LongRequests(askTimeoutSeconds: 15, requestTimeoutSeconds: 20),
            ],
        }, "drain-metrics");
        var held = node.Http.Deposit("held-" + Guid.NewGuid().ToString("N")[..8], 10, delayMs: 6000);
        await Eventually.True(async () => (await PrometheusScrape.From(node.Management)).Single("actorservice_http_requests_in_flight") == 1,
            TimeSpan.FromSeconds(10), "the held write to be in flight");

        node.Signal(Signals.SIGTERM);
        await Eventually.True(async () =>
        {
            using var fresh = NodeProcess.NewClient(node.BaseUri, TimeSpan.FromSeconds(2));
            return (await fresh.GetAccount("anyone")).Status == HttpStatusCode.ServiceUnavailable;
        }, TimeSpan.FromSeconds(10), "a new request to be refused at the intake gate");

        using var scraper = NodeProcess.NewClient(node.ManagementUri, TimeSpan.FromSeconds(5));
        var scrape = await PrometheusScrape.From(scraper);
        Assert.Equal(1, scrape.Single("actorservice_draining"));
        Assert.True(scrape.Single("actorservice_http_requests_refused_total") >= 1, scrape.Text);
        Assert.Equal(1, scrape.Single("actorservice_http_requests_in_flight"));
        Assert.True(scrape.Sum("http_server_request_duration_seconds_count", ("http_route", "/accounts/{id}"), ("http_response_status_code", "503")) >= 1,
            "the refusal must be counted by route and status too");
        var unbind = scrape.Single("actorservice_shutdown_phase_duration_seconds", ("phase", "before-service-unbind"));
        Assert.InRange(unbind, 0.15, 5); // the 200 ms lb-delay
        Assert.Single(scrape.Find("actorservice_shutdown_phase_duration_seconds", ("phase", "service-unbind")));

        Assert.Equal(HttpStatusCode.OK, (await held).Status);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Should_report_the_running_phase_and_the_request_in_flight_when_draining()
    {
        var dir = Repo.NewWorkDir("drain-status");
        var reportPath = Path.Combine(dir, "report.json");
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with
        {
            AdminToken = Token,
            LbDelay = "3s", // /admin/status is served until intake closes: this is the window to look in
            ReportPath = reportPath,
            Hocon = DrainHarness.LongRequests(askTimeoutSeconds: 15, requestTimeoutSeconds: 20),
        }, "drain-status");
        var idle = (await node.Management.Status(Token)).Body;
        Assert.False(idle.GetProperty("draining").GetBoolean());
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("shutdownPhase").ValueKind);

        var held = node.Http.Deposit("held-" + Guid.NewGuid().ToString("N")[..8], 10, delayMs: 5000);
        await Eventually.True(async () => (await node.Management.Status(Token)).Body.GetProperty("inFlightRequests").GetInt32() == 2,
            TimeSpan.FromSeconds(10), "the held write (and the status request itself) to be in flight");

        node.Signal(Signals.SIGTERM);
        var status = await Eventually.Get(async () =>
        {
            var answer = await node.Management.Status(Token);
            // Readiness turns 503 the moment the drain begins; the first phase's marker runs a moment later (clean-clone
            // run 141 read the status in between: draining, no phase yet). Wait for the drain's phase, not just its flag.
            return answer.Status == HttpStatusCode.OK && answer.Body.GetProperty("draining").GetBoolean()
                && answer.Body.GetProperty("shutdownPhase").ValueKind == JsonValueKind.String ? answer : null;
        }, TimeSpan.FromSeconds(10), "/admin/status to show the drain and its running phase");

        var body = status.Body;
        Assert.True(body.GetProperty("shutdownPhase").GetString() == "before-service-unbind", $"status during the lb-delay: {body}");
        Assert.Equal("draining", body.GetProperty("readiness").GetString());
        Assert.False(body.GetProperty("ready").GetBoolean());
        Assert.Equal(2, body.GetProperty("inFlightRequests").GetInt32()); // the held write and this status request
        Assert.True(body.GetProperty("drainElapsedMs").GetDouble() >= 0);
        Assert.Equal("Up", Assert.Single(body.GetProperty("members").EnumerateArray()).GetProperty("status").GetString());
        var shutdownId = body.GetProperty("shutdownId").GetString();

        Assert.Equal(HttpStatusCode.OK, (await held).Status);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(reportPath)).RootElement;
        Assert.Equal(report.GetProperty("shutdownId").GetString(), shutdownId);
    }
}
