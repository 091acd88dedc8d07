using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// A slowloris attack on a real node: many connections that trickle their headers one byte at a time and reconnect
/// as soon as they are dropped. A normal client keeps getting answers quickly throughout, and the server closes every
/// trickling connection once limits.request-headers-timeout has passed.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class SlowlorisSpecs(ITestOutputHelper output)
{
    private const int SlowConnections = 200;
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Attack = TimeSpan.FromSeconds(9);
    private static readonly TimeSpan Trickle = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan NormalTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan NormalLatencyBound = TimeSpan.FromSeconds(2);
    // Kestrel checks timeouts on a one-second heartbeat and adds one heartbeat to every timeout so none fires early:
    // a trickler is cut 1-2 s after the timeout (4.2-5.0 s measured here). Two more seconds for a loaded machine.
    private static readonly TimeSpan MustCloseWithin = HeadersTimeout + TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Should_keep_answering_a_normal_client_and_close_trickling_connections_when_under_a_slowloris_attack()
    {
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("slowloris")) with
        {
            Hocon = [$"actor-service.http.limits.request-headers-timeout = {HeadersTimeout.TotalSeconds}s"],
        });
        using var attackOver = new CancellationTokenSource(Attack);
        var closedAfter = new ConcurrentBag<TimeSpan>();
        var outlived = new ConcurrentBag<TimeSpan>();
        var attackers = Enumerable.Range(0, SlowConnections)
            .Select(_ => Task.Run(() => TrickleUntilOver(node.Launch.HttpPort, closedAfter, outlived, attackOver.Token))).ToList();

        // The normal client: a new connection per request (Connection: close), so it needs the server to keep
        // accepting and parsing new connections while the slow ones sit there.
        var latencies = new List<TimeSpan>();
        var failures = new List<string>();
        var id = $"normal-{Guid.NewGuid():N}";
        using var normal = NodeProcess.NewClient(node.BaseUri, NormalTimeout);
        normal.DefaultRequestHeaders.ConnectionClose = true;
        var expected = 0L;
        while (!attackOver.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                var deposit = await normal.Deposit(id, 1);
                expected++;
                latencies.Add(clock.Elapsed);
                if (deposit.Status != HttpStatusCode.OK || deposit.Balance != expected)
                    failures.Add($"at {latencies.Count}: {deposit} (expected balance {expected})");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failures.Add($"after {clock.ElapsedMilliseconds} ms: {e.GetType().Name}: {e.Message}");
            }
            await Task.Delay(100);
        }
        await Task.WhenAll(attackers);

        var sorted = latencies.Order().ToList();
        var closes = closedAfter.Order().ToList();
        output.WriteLine($"normal client: {latencies.Count} writes, p50 {P(sorted, 0.5)} ms, p99 {P(sorted, 0.99)} ms, max {P(sorted, 1)} ms; " +
                         $"slow connections closed by the server: {closes.Count}, after {P(closes, 0)}..{P(closes, 1)} ms (headers timeout {HeadersTimeout.TotalMilliseconds} ms)");

        Assert.True(failures.Count == 0, $"the normal client failed during the attack:\n{string.Join("\n", failures.Take(5))}");
        Assert.True(latencies.Count >= 20, $"the normal client managed only {latencies.Count} requests in {Attack.TotalSeconds} s");
        Assert.True(sorted[^1] < NormalLatencyBound, $"the slowest normal request took {sorted[^1].TotalMilliseconds:0} ms (bound {NormalLatencyBound.TotalMilliseconds} ms)");
        // Every trickling connection of the first wave outlived the headers timeout, so each must have been cut.
        Assert.True(closes.Count >= SlowConnections, $"only {closes.Count} of {SlowConnections}+ trickling connections were closed by the server");
        Assert.True(outlived.IsEmpty, $"{outlived.Count} trickling connections were still open after {MustCloseWithin.TotalMilliseconds} ms");
        Assert.True(closes[^1] <= MustCloseWithin, $"a trickling connection stayed open {closes[^1].TotalMilliseconds:0} ms, beyond {MustCloseWithin.TotalMilliseconds} ms");
        Assert.True(closes[0] >= HeadersTimeout - TimeSpan.FromSeconds(1),
            $"a trickling connection was closed after only {closes[0].TotalMilliseconds:0} ms: something other than the headers timeout closed it");
        Assert.Equal(expected, (await node.Http.GetAccount(id)).Balance);
    }

    /// <summary>One attacker slot: connect, send a request line and then one header byte per tick, forever; reconnect when dropped.</summary>
    private static async Task TrickleUntilOver(int port, ConcurrentBag<TimeSpan> closedAfter, ConcurrentBag<TimeSpan> outlived, CancellationToken over)
    {
        while (!over.IsCancellationRequested)
        {
            using var client = new TcpClient { NoDelay = true };
            try { await client.ConnectAsync(IPAddress.Loopback, port, over); }
            catch (OperationCanceledException) { return; }
            var clock = Stopwatch.StartNew();
            var stream = client.GetStream();
            var closed = WaitForServerClose(stream);
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: "), over);
                while (!closed.IsCompleted && !over.IsCancellationRequested)
                {
                    await Task.WhenAny(closed, Task.Delay(Trickle, over));
                    if (!closed.IsCompleted) await stream.WriteAsync("a"u8.ToArray(), over);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { /* dropped, or the attack ended */ }
            if (await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(1))) == closed) closedAfter.Add(await closed);
            else if (clock.Elapsed > MustCloseWithin) outlived.Add(clock.Elapsed); // still open long past the timeout
        }
    }

    private static async Task<TimeSpan> WaitForServerClose(NetworkStream stream)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[1024];
        try
        {
            while (await stream.ReadAsync(buffer) > 0) { /* a 408, then the close */ }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { /* reset counts as closed */ }
        return clock.Elapsed;
    }

    private static string P(List<TimeSpan> sorted, double q) =>
        sorted.Count == 0 ? "-" : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - (q > 0 ? 1 : 0))].TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
}
