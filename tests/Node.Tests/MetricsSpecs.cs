using System.Net;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>A node for the metrics specs: shard stats polled often, so the shards gauge is fresh within a test.</summary>
public sealed class MetricsNodeFixture : IAsyncLifetime
{
    public InProcessNode Node { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("metrics")) with
        {
            Hocon = ["actor-service.metrics.shard-poll-interval = 300ms"],
        }, "metrics");

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>GET /metrics against a node built in-process (real Kestrel, real scrapes): every listed metric is there, with bounded labels, and moves with traffic.</summary>
[Collection(nameof(RunsAlone))]
public sealed class MetricsSpecs(MetricsNodeFixture fixture) : IClassFixture<MetricsNodeFixture>
{
    private HttpClient Http => fixture.Node.Http;
    private HttpClient Management => fixture.Node.Management;
    private static string NewId() => "m-" + Guid.NewGuid().ToString("N")[..12];

    private const string HttpCount = "http_server_request_duration_seconds_count";

    [Fact]
    public async Task Should_publish_every_listed_metric_in_prometheus_text_when_scraped()
    {
        Assert.Equal(HttpStatusCode.OK, (await Http.Deposit(NewId(), 5)).Status); // histograms appear with their first observation

        using var response = await Management.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = PrometheusScrape.Parse(await response.Content.ReadAsStringAsync());

        var expected = new Dictionary<string, string>
        {
            ["http_server_request_duration_seconds"] = "histogram",
            ["http_server_active_requests"] = "gauge",
            ["actorservice_http_requests_in_flight"] = "gauge",
            ["actorservice_http_requests_refused_total"] = "counter",
            ["actorservice_http_requests_accepted_total"] = "counter",
            ["actorservice_entities_active"] = "gauge",
            ["actorservice_entity_mailbox_depth"] = "gauge",
            ["actorservice_shards"] = "gauge",
            ["actorservice_db_batch_size"] = "histogram",
            ["actorservice_db_commit_duration_seconds"] = "histogram",
            ["actorservice_ledger_writes_total"] = "counter",
            ["actorservice_background_tasks_running"] = "gauge",
            ["actorservice_cluster_members"] = "gauge",
            ["actorservice_cluster_unreachable_members"] = "gauge",
            ["actorservice_draining"] = "gauge",
            ["actorservice_key_cleanup_failures_total"] = "counter",
            ["actorservice_wire_rejected_total"] = "counter",
        };
        var missing = expected.Where(kv => scrape.Types.GetValueOrDefault(kv.Key) != kv.Value).Select(kv => $"{kv.Key} ({kv.Value})").ToList();
        Assert.True(missing.Count == 0, $"missing or mistyped in /metrics: {string.Join(", ", missing)}\n{scrape.Text}");

        Assert.Equal(1, scrape.Single("actorservice_cluster_members", ("status", "up")));
        Assert.Equal(0, scrape.Single("actorservice_cluster_members", ("status", "leaving")));
        Assert.Equal(0, scrape.Single("actorservice_draining"));
        Assert.Equal(0, scrape.Single("actorservice_key_cleanup_failures_total"));
        Assert.Equal(0, scrape.Single("actorservice_wire_rejected_total", ("serializer", "accounts"), ("reason", "unknown-manifest")));
        Assert.True(scrape.Single("actorservice_background_tasks_running") >= 1, "the idempotency-key cleanup loop is tracked background work");
        Assert.Equal(["mailbox", "stash"], scrape.Find("actorservice_entity_mailbox_depth").Select(s => s.Labels["queue"]).Order());
    }

    [Fact]
    public async Task Should_move_request_and_ledger_metrics_labelled_by_route_when_traffic_flows()
    {
        var id = NewId();
        var before = await PrometheusScrape.From(Management);

        for (var i = 1; i <= 5; i++) Assert.Equal(HttpStatusCode.OK, (await Http.Deposit(id, i)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAccount(id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAccount(NewId())).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.Deposit(id, 0)).Status);

        var after = await PrometheusScrape.From(Management);
        double Delta(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);

        var deposits = Delta(HttpCount, ("http_route", "/accounts/{id}/deposit"), ("http_request_method", "POST"), ("http_response_status_code", "200"));
        Assert.True(deposits == 5, $"deposit 200s counted {deposits}, expected 5\n{Lines(after, HttpCount)}");
        Assert.Equal(1, Delta(HttpCount, ("http_route", "/accounts/{id}"), ("http_response_status_code", "200")));
        Assert.Equal(1, Delta(HttpCount, ("http_route", "/accounts/{id}"), ("http_response_status_code", "404")));
        Assert.Equal(1, Delta(HttpCount, ("http_route", "/accounts/{id}/deposit"), ("http_response_status_code", "400")));
        Assert.True(Delta("http_server_request_duration_seconds_sum", ("http_route", "/accounts/{id}/deposit")) > 0, "deposit latency did not grow");

        // Bounded cardinality: route templates only, never an account id.
        var leaked = after.Samples.Where(s => s.Labels.Values.Any(v => v.Contains(id))).ToList();
        Assert.True(leaked.Count == 0, $"a raw path leaked into labels: {string.Join("\n", leaked)}");

        Assert.Equal(5, Delta("actorservice_ledger_writes_total", ("outcome", "applied")));
        Assert.Equal(5, Delta("actorservice_db_batch_size_sum")); // every applied write committed exactly once
        var batches = Delta("actorservice_db_batch_size_count");
        Assert.InRange(batches, 1, 5);
        Assert.Equal(batches, Delta("actorservice_db_commit_duration_seconds_count"));
        Assert.True(Delta("actorservice_http_requests_accepted_total") >= 8, "the intake gate's accepted counter did not move");
        Assert.True(after.Single("actorservice_entities_active") >= 2, $"two accounts were activated\n{Lines(after, "actorservice_entities_active")}");

        await Eventually.True(async () => (await PrometheusScrape.From(Management)).Single("actorservice_shards") >= 1,
            TimeSpan.FromSeconds(10), "actorservice_shards to count the shards of the accounts just written");
    }

    [Fact]
    public async Task Should_count_ask_retries_by_reason_when_an_entity_answers_after_the_ask_timeout()
    {
        var before = await PrometheusScrape.From(Management);
        // The entity holds this write 3.5 s, past the 3 s ask-timeout: the gateway asks again with the same key.
        var answer = await Http.Deposit(NewId(), 7, delayMs: 3500);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(answer.Applied, $"the retried write must be reported applied once: {answer}");

        var after = await PrometheusScrape.From(Management);
        var retries = after.Sum("actorservice_ask_retries_total", ("reason", "timeout")) - before.Sum("actorservice_ask_retries_total", ("reason", "timeout"));
        Assert.True(retries >= 1, $"expected at least one timeout retry\n{Lines(after, "actorservice_ask_retries_total")}");
        Assert.Equal("counter", after.Types["actorservice_ask_retries_total"]);
    }

    private static string Lines(PrometheusScrape scrape, string name) =>
        string.Join("\n", scrape.Samples.Where(s => s.Name == name).Select(s => s.ToString()));
}
