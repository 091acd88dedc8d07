using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;

namespace ActorService.Node.Tests;

/// <summary>Shared steps of the drain specs: a node with a report file, admin calls, reading the report.</summary>
internal static class DrainHarness
{
    public const string Token = "drain-token-0123456789abcdef-drains";

    public static NodeLaunch Launch(string name, string lbDelay = "1s", params string[] hocon)
    {
        var dir = Repo.NewWorkDir(name);
        return NodeLaunch.Single(dir) with
        {
            AdminToken = Token,
            LbDelay = lbDelay,
            ReportPath = Path.Combine(dir, "shutdown-report.json"),
            Hocon = hocon,
        };
    }

    /// <summary>
    /// HOCON for a node whose requests may run long (held test writes): the ask and request timeouts raised, and with
    /// them the timings the node's timing rules tie to them (DrainTimingRules, docs/drain.md): the drain's request
    /// deadline (≥ request-timeout) and its phase (+ cancel-grace 1 s + phase-margin 1 s), and the shard hand-off
    /// (entities get handoff-timeout − 5 s, ≥ ask-timeout) and its phase.
    /// </summary>
    public static string[] LongRequests(int askTimeoutSeconds, int requestTimeoutSeconds) =>
    [
        $"actor-service.http {{ ask-timeout = {askTimeoutSeconds}s, request-timeout = {requestTimeoutSeconds}s }}",
        $"actor-service.drain.request-deadline = {requestTimeoutSeconds}s",
        $"akka.coordinated-shutdown.phases.service-requests-done.timeout = {requestTimeoutSeconds + 2}s",
        $"akka.cluster.sharding.handoff-timeout = {askTimeoutSeconds + 5}s",
        $"akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = {askTimeoutSeconds + 5}s",
    ];

    /// <summary>Starts a request that stays in flight until the drain's request deadline cancels it (the /test/hold hook).</summary>
    public static Task<HttpResponseMessage> Hold(NodeProcess node, int seconds) =>
        node.Management.PostAsync($"test/hold?seconds={seconds}", null);

    public static ShutdownReport Report(NodeProcess node) =>
        ShutdownReport.FromJson(File.ReadAllText(node.Launch.ReportPath!));

    public static HttpRequestMessage AdminCall(HttpMethod method, string path, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return request;
    }

    public static async Task<JsonElement> Status(NodeProcess node) =>
        await (await node.Management.SendAsync(AdminCall(HttpMethod.Get, "admin/status"))).Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Waits until the node reports at least <paramref name="count"/> requests in flight (they reached the entity).</summary>
    public static Task WaitInFlight(NodeProcess node, int count) =>
        Eventually.True(async () => (await Status(node)).GetProperty("inFlightRequests").GetInt32() >= count + 1, // +1: the status call itself
            TimeSpan.FromSeconds(10), $"{count} requests in flight on {node.Name}");

    /// <summary>Polls readiness until it answers 503; returns the time it was first seen.</summary>
    public static async Task<TimeSpan> WaitNotReady(NodeProcess node, Stopwatch clock)
    {
        using var probe = NodeProcess.NewClient(node.BaseUri, TimeSpan.FromSeconds(2));
        await Eventually.True(async () => (await probe.GetAsync("health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), "readiness 503", TimeSpan.FromMilliseconds(10));
        return clock.Elapsed;
    }

    /// <summary>Polls a fresh TCP connect until it is refused; returns the time the listener was first seen closed.</summary>
    public static async Task<TimeSpan> WaitListenerClosed(NodeProcess node, Stopwatch clock)
    {
        await Eventually.True(async () =>
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            try
            {
                await tcp.ConnectAsync(IPAddress.Loopback, node.Launch.HttpPort);
                return false;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(30), "the HTTP listener to close", TimeSpan.FromMilliseconds(10));
        return clock.Elapsed;
    }
}
