using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// The management listener stays answerable when the public port is full (issue 14): a real node with 10,000 idle
/// connections on its public port (actor-service.http.limits.max-concurrent-connections, the default) still answers
/// /health/ready and /health/live on its management port within a second, every time, because Kestrel counts the
/// connection limit per listener (HttpLimits.ApplyTo). While full, the public port closes a new connection without an
/// answer, which is what probes on the public port met before they moved; the ledger serves again once the idle
/// connections are gone.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ManagementListenerSpecs(ITestOutputHelper output)
{
    private const int IdleConnections = 10_000;      // the public port's whole quota (hocon.conf)
    private const int ProbeTries = 10;
    private static readonly TimeSpan ProbeBound = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Should_answer_probes_on_the_management_port_within_a_second_when_10000_idle_connections_fill_the_public_port()
    {
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("management-listener")) with
        {
            AdminToken = SingleNodeFixture.AdminToken,
        });
        var ct = TestContext.Current.CancellationToken;
        var idle = new List<Socket>(IdleConnections);
        try
        {
            var opening = Stopwatch.StartNew();
            await OpenIdleAsync(node.Launch.HttpPort, idle, ct);
            output.WriteLine($"{idle.Count} idle connections open on the public port {node.Launch.HttpPort} in {opening.Elapsed.TotalSeconds:0.0} s");

            // Full: a new connection on the public port is closed without an answer (Kestrel's ConnectionLimitMiddleware).
            // Waited for, because Kestrel may still be accepting the last idle connections when the first check runs.
            var refusal = await Eventually.Get(() => PublicAnswerAsync(node.Launch.HttpPort, ct), TimeSpan.FromSeconds(30),
                "the public port to be full (a new connection closed unanswered)", TimeSpan.FromMilliseconds(200));
            output.WriteLine($"public port while full: {refusal}");

            var latencies = new List<(string Probe, TimeSpan Took, HttpStatusCode Status)>();
            for (var i = 0; i < ProbeTries; i++)
                foreach (var probe in new[] { "health/ready", "health/live" })
                {
                    // A new connection per probe, as the kubelet and HAProxy make them.
                    using var http = NodeProcess.NewClient(node.ManagementUri, TimeSpan.FromSeconds(5));
                    http.DefaultRequestHeaders.ConnectionClose = true;
                    var clock = Stopwatch.StartNew();
                    using var answer = await http.GetAsync(probe, ct);
                    latencies.Add((probe, clock.Elapsed, answer.StatusCode));
                }
            var report = string.Join(", ", latencies.Select(l => $"{l.Probe} {(int)l.Status} {l.Took.TotalMilliseconds:0} ms"));
            output.WriteLine($"management probes with the public port full: max {latencies.Max(l => l.Took).TotalMilliseconds:0} ms; {report}");
            Assert.All(latencies, l => Assert.True(l.Status == HttpStatusCode.OK && l.Took < ProbeBound,
                $"/{l.Probe} on the management port answered {(int)l.Status} in {l.Took.TotalMilliseconds:0} ms with {idle.Count} idle public connections (bound {ProbeBound.TotalMilliseconds} ms); all: {report}"));
            var status = await node.Management.Status(SingleNodeFixture.AdminToken, ct);
            Assert.True(status.Status == HttpStatusCode.OK, $"admin/status on the management port while the public port is full: {status}");
            Assert.Equal("closed unanswered", refusal.Split(':')[0]);
        }
        finally
        {
            foreach (var socket in idle) socket.Dispose();
        }

        // Once the idle connections are gone, the public port serves clients again.
        using var client = NodeProcess.NewClient(node.BaseUri, TimeSpan.FromSeconds(5));
        await Eventually.True(async () => (await client.Deposit("after-idle-" + Guid.NewGuid().ToString("N")[..8], 1, ct: ct)).Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), $"a deposit on the public port after the idle connections closed (log: {node.LogPath})", TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Opens the idle connections, 200 connects at a time; each sends nothing and waits.</summary>
    private static async Task OpenIdleAsync(int port, List<Socket> idle, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(200);
        var connecting = Enumerable.Range(0, IdleConnections).Select(async _ =>
        {
            await gate.WaitAsync(ct);
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                lock (idle) idle.Add(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(connecting).WaitAsync(TimeSpan.FromSeconds(120), ct);
    }

    /// <summary>
    /// What a new connection to the public port gets for a readiness request: "closed unanswered: …" once the port is
    /// full, or null while it still answers (the connection is then closed, freeing its place).
    /// </summary>
    private static async Task<string?> PublicAnswerAsync(int port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var clock = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ct);
            var buffer = new byte[512];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            return read == 0 ? $"closed unanswered: connected, then end of stream after {clock.Elapsed.TotalMilliseconds:0} ms" : null;
        }
        catch (SocketException e)
        {
            return $"closed unanswered: {e.SocketErrorCode} after {clock.Elapsed.TotalMilliseconds:0} ms";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "no answer within 3 s"; // neither answered nor closed: reported as such, and the assertion fails
        }
    }
}
