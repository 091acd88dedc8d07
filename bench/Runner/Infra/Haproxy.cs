using System.Net.Sockets;

namespace ActorService.Bench.Infra;

/// <summary>
/// HAProxy in front of local nodes, as a load balancer in production would be: round robin, active health checks on
/// <c>/health/ready</c> every 250 ms (down after 2 failures, up after 2 successes), keep-alive on both sides, and no
/// retries, so every error the clients see is one the nodes caused.
/// </summary>
internal static class Haproxy
{
    public static async Task<ServiceProcess> StartAsync(BenchContext bench, string dir, int frontendPort, IReadOnlyList<(string Name, int Port)> backends)
    {
        var config = $"""
            global
              maxconn 4096
            defaults
              mode http
              option http-keep-alive
              timeout connect 1s
              timeout client 30s
              timeout server 20s
              timeout http-keep-alive 10s
              timeout check 1s
              retries 0
            frontend ledger
              bind 127.0.0.1:{frontendPort}
              default_backend nodes
            backend nodes
              balance roundrobin
              option httpchk GET /health/ready
              http-check expect status 200
              default-server inter 250ms fall 2 rise 2
            {string.Join('\n', backends.Select(b => $"  server {b.Name} 127.0.0.1:{b.Port} check"))}
            """;
        var path = Path.Combine(dir, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config + "\n");
        var process = ServiceProcess.Start(bench, "haproxy", "haproxy", ["-db", "-f", path], Path.Combine(dir, "haproxy.log"));
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited) throw new BenchFailure($"haproxy exited with {process.ExitCode}:\n{process.Tail()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", frontendPort);
                return process;
            }
            catch (SocketException) { await Task.Delay(100); }
        }
        throw new BenchFailure($"haproxy does not listen on {frontendPort}:\n{process.Tail()}");
    }
}
