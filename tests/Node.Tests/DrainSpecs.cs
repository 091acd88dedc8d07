using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;
using static ActorService.Node.Tests.DrainHarness;

namespace ActorService.Node.Tests;

/// <summary>The cooperative drain, end to end: a real node process, real signals, real HTTP.</summary>
[Collection(nameof(RunsAlone))]
public sealed class DrainSpecs
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_answer_ready_503_at_least_the_lb_delay_before_the_listener_closes_when_sigterm_arrives()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("readiness-first", lbDelay: "2s"));
        var clock = Stopwatch.StartNew();
        node.Signal(Signals.SIGTERM);
        var notReady = await WaitNotReady(node, clock);
        // While readiness is 503 the node still serves normally: the load balancer is only being told to stop sending.
        var served = await node.Http.Deposit("during-lb-delay", 5);
        var closed = await WaitListenerClosed(node, clock);

        Assert.Equal(HttpStatusCode.OK, served.Status);
        Assert.True(notReady < TimeSpan.FromSeconds(1), $"readiness went 503 only after {notReady.TotalMilliseconds:0} ms");
        Assert.True(closed - notReady >= TimeSpan.FromSeconds(2),
            $"listener closed {(closed - notReady).TotalMilliseconds:0} ms after readiness 503; lb-delay is 2000 ms");
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
    }

    [Fact]
    public async Task Should_complete_an_in_flight_request_and_keep_its_write_when_sigterm_arrives()
    {
        var launch = Launch("in-flight");
        long balance;
        await using (var node = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            var slow = node.Http.Deposit("slow", 70, key: "slow-1", delayMs: 3000);
            await WaitInFlight(node, 1);
            node.Signal(Signals.SIGTERM);
            var answer = await slow;
            Assert.True(answer.Status == HttpStatusCode.OK, $"slow request: {answer}");
            balance = answer.Balance;
            Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
            var report = Report(node);
            var requests = report.Phases.Single(p => p.Name == "service-unbind");
            Assert.Equal("1", requests.Counts["inFlightAtClose"].ToString());
        }
        await using var again = await NodeProcess.StartReadyAsync(launch, "second");
        Assert.Equal(70, balance);
        Assert.Equal(70, (await again.Http.GetAccount("slow")).Balance);
    }

    [Fact]
    public async Task Should_refuse_with_503_retry_after_and_connection_close_when_a_kept_alive_client_sends_after_intake_closed()
    {
        // A long refuse window keeps the listener open after intake closes, so the kept-alive connection is still there.
        await using var node = await NodeProcess.StartReadyAsync(Launch("kept-alive", "500ms",
            "actor-service.drain.refuse-window = 5s", "akka.coordinated-shutdown.phases.service-unbind.timeout = 6s"));
        var connections = 0;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, ct) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = node.BaseUri };

        Assert.Equal(HttpStatusCode.OK, (await client.Deposit("kept", 1)).Status);
        node.Signal(Signals.SIGTERM);
        await node.WaitForLogAsync(l => l.Contains("Intake closed"), TimeSpan.FromSeconds(10), "intake closed");
        var refused = await client.Deposit("kept", 2);

        Assert.Equal(1, connections); // the same kept-alive connection carried both requests
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Equal("/problems/draining", refused.ProblemType);
        Assert.NotNull(refused.Response.Headers.RetryAfter);
        Assert.True(refused.Response.Headers.ConnectionClose, "503 during drain must carry Connection: close");
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
    }

    [Fact]
    public async Task Should_process_every_queued_write_of_an_entity_before_stopping_when_sigterm_arrives()
    {
        var launch = Launch("queued");
        await using (var node = await NodeProcess.StartReadyAsync(launch, "first"))
        {
            // Five writes to one account queue in its mailbox: the entity takes them one at a time, 400 ms each.
            var writes = Enumerable.Range(1, 5).Select(i => node.Http.Deposit("queue", i, key: $"q{i}", delayMs: 400)).ToList();
            await WaitInFlight(node, 5);
            node.Signal(Signals.SIGTERM);
            var answers = await Task.WhenAll(writes);
            Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"queued write: {a}"));
            Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
        }
        await using var again = await NodeProcess.StartReadyAsync(launch, "second");
        Assert.Equal(15, (await again.Http.GetAccount("queue")).Balance);
    }

    [Fact]
    public async Task Should_await_background_work_and_name_the_work_that_ignores_cancellation()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("background", "200ms", "actor-service.drain.background-deadline = 2s"));
        Assert.Equal(HttpStatusCode.Accepted, (await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/test/background?name=polite-job&seconds=1&cooperative=true"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/test/background?name=stubborn-job&seconds=60&cooperative=false"))).StatusCode);
        node.Signal(Signals.SIGTERM);

        Assert.Equal(ExitCodes.DeadlineHit, await node.WaitForExitAsync(ExitWithin));
        var report = Report(node);
        var stop = report.Phases.Single(p => p.Name == "service-stop");
        // Besides the two jobs the node runs its own tracked work (key cleanup, event publisher): all but the stubborn job finish.
        var names = stop.Counts["backgroundWork"].ToString()!.Split(' ');
        Assert.Contains("polite-job", names);
        Assert.Contains("stubborn-job", names);
        Assert.Equal(names.Length.ToString(), stop.Counts["backgroundRunning"].ToString());
        Assert.Equal((names.Length - 1).ToString(), stop.Counts["backgroundFinished"].ToString());
        var abandoned = Assert.Single(report.Abandoned, a => a.Contains("stubborn-job"));
        Assert.Contains("ignored cancellation", abandoned);
        Assert.DoesNotContain(report.Abandoned, a => a.Contains("polite-job"));
        Assert.False(report.Clean);
    }

    [Theory]
    [InlineData("cache", "db")]
    [InlineData("db", "cache")]
    public async Task Should_close_resources_in_the_configured_order(string first, string second)
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch($"close-{first}", "200ms", $"actor-service.drain.close-order = [{first}, {second}]"));
        await node.Http.Deposit("c", 1);
        node.Signal(Signals.SIGTERM);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));

        var closed = node.Lines.Where(l => l.Contains("Closed resource")).ToList();
        Assert.True(closed.Count == 2, "close lines:\n" + string.Join('\n', closed));
        Assert.Contains($"Closed resource {first} (1 of 2)", closed[0]);
        Assert.Contains($"Closed resource {second} (2 of 2)", closed[1]);
        Assert.DoesNotContain(node.Lines, l => l.Contains("ObjectDisposedException"));
    }

    [Fact]
    public async Task Should_require_the_token_and_exit_cleanly_when_draining_through_admin()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("admin-drain", "300ms"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/drain", token: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/drain", token: "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("health/ready")).StatusCode); // the refused calls started nothing

        var accepted = await node.Management.SendAsync(AdminCall(HttpMethod.Post, "admin/drain"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
        Assert.Equal("admin-drain", Report(node).Reason);
    }

    [Fact]
    public async Task Should_change_nothing_when_a_second_sigterm_arrives_during_the_drain()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("double-sigterm", lbDelay: "2s"));
        var clock = Stopwatch.StartNew();
        var slow = node.Http.Deposit("double", 9, key: "d1", delayMs: 2500);
        await WaitInFlight(node, 1);
        node.Signal(Signals.SIGTERM);
        var notReady = await WaitNotReady(node, clock);
        node.Signal(Signals.SIGTERM);
        // Still inside the lb-delay: the node must keep serving as if the second signal never came.
        var during = await node.Http.Deposit("double", 1, key: "d2");
        var closed = await WaitListenerClosed(node, clock);

        Assert.Equal(HttpStatusCode.OK, during.Status);
        Assert.Equal(HttpStatusCode.OK, (await slow).Status);
        Assert.True(closed - notReady >= TimeSpan.FromSeconds(2), $"listener closed {(closed - notReady).TotalMilliseconds:0} ms after readiness 503");
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));
        Assert.Single(node.Lines, l => l.Contains("Shutdown plan")); // logged once at start
        Assert.Single(node.Lines, l => l.Contains("begins: reason SIGTERM"));
    }

    [Fact]
    public async Task Should_cancel_a_request_still_running_at_the_request_deadline_with_503_when_the_deadline_passes()
    {
        // The deadline is the backstop for requests that outlive http.request-timeout (a slow body, a queue): the
        // /test/hold hook is one. The timing rules want drain.request-deadline ≥ http.request-timeout, hence both 1 s.
        await using var node = await NodeProcess.StartReadyAsync(Launch("deadline", "200ms",
            "actor-service.http.request-timeout = 1s", "actor-service.drain.request-deadline = 1s"));
        var stuck = Hold(node, 20);
        await WaitInFlight(node, 1);
        node.Signal(Signals.SIGTERM);
        var answer = await stuck;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("/problems/drain-deadline", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.NotNull(answer.Headers.RetryAfter);
        Assert.Equal(ExitCodes.DeadlineHit, await node.WaitForExitAsync(ExitWithin));
        Assert.Equal("1", Report(node).Phases.Single(p => p.Name == "service-requests-done").Counts["cancelledAtDeadline"].ToString());
    }

    [Fact]
    public async Task Should_answer_a_slow_body_cut_by_the_request_deadline_with_a_503_problem_when_the_deadline_passes()
    {
        // Issue 13: a write whose body was still arriving at the deadline ended as 499 with no body. Its command never
        // left (the body was not read), so the truth is "not applied": 503 drain-deadline with Retry-After.
        await using var node = await NodeProcess.StartReadyAsync(Launch("slowbody", "200ms",
            "actor-service.http.request-timeout = 1s", "actor-service.drain.request-deadline = 1s"));
        var id = "slow-" + Guid.NewGuid().ToString("N")[..8];
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(node.BaseUri.Host, node.BaseUri.Port);
        var stream = tcp.GetStream();
        var head = $"POST /accounts/{id}/deposit HTTP/1.1\r\nHost: {node.BaseUri.Authority}\r\nContent-Type: application/json\r\n" +
                   "Content-Length: 15\r\n\r\n{\"amou";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head)); // 6 of the 15 bytes; the rest never comes
        await WaitInFlight(node, 1);
        node.Signal(Signals.SIGTERM);

        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20)); // Connection: close ends it
        Assert.True(answer.StartsWith("HTTP/1.1 503", StringComparison.Ordinal), $"{id}: {answer}");
        Assert.Contains("/problems/drain-deadline", answer);
        Assert.Contains("Retry-After:", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ExitCodes.DeadlineHit, await node.WaitForExitAsync(ExitWithin));
    }

    [Fact]
    public async Task Should_report_every_phase_in_order_with_durations_when_the_drain_ends()
    {
        await using var node = await NodeProcess.StartReadyAsync(Launch("report", "300ms"));
        await node.WaitForLogAsync(l => l.Contains("Shutdown plan"), TimeSpan.FromSeconds(10), "the shutdown plan at start");
        node.Signal(Signals.SIGINT);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(ExitWithin));

        var report = Report(node);
        Assert.Equal("SIGINT", report.Reason);
        Assert.True(report.Clean);
        Assert.Equal(
            ["before-service-unbind", "service-unbind", "service-requests-done", "service-stop", "before-cluster-shutdown",
             "cluster-sharding-shutdown-region", "cluster-leave", "cluster-exiting", "cluster-exiting-done", "cluster-shutdown",
             "before-actor-system-terminate", "actor-system-terminate"],
            report.Phases.Select(p => p.Name));
        Assert.True(report.Phases[0].DurationMs >= 300, $"before-service-unbind took {report.Phases[0].DurationMs} ms, lb-delay is 300 ms");
        Assert.All(report.Phases, p => Assert.False(p.TimedOut, $"{p.Name} timed out"));
        foreach (var phase in report.Phases)
            Assert.Contains(node.Lines, l => l.Contains($"Shutdown phase {phase.Name} finished in") && l.Contains("shutdown=" + report.ShutdownId));
    }
}
