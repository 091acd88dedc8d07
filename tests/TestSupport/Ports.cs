using System.Net;
using System.Net.Sockets;

namespace ActorService.TestSupport;

/// <summary>
/// Free loopback TCP ports for nodes started by tests; never hands out the same port twice in one run. Only ports
/// below the kernel's ephemeral range: a port found free there can be taken, before the node binds it, by any outgoing
/// connection (HAProxy's checks, the load's client, Npgsql), which is how a freeze spec once failed with "address
/// already in use" on 38842.
/// </summary>
public static class Ports
{
    private const int Lowest = 10000;
    private static readonly int Highest = EphemeralRangeStart() - 1;
    private static int _next = Lowest + Random.Shared.Next(0, (Highest - Lowest) / 2);

    public static int Free()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _next);
            if (port > Highest) Interlocked.Exchange(ref _next, Lowest);
            if (port <= Highest && IsFree(port)) return port;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux: "32768\t60999"; elsewhere (or unreadable) IANA's 49152.
    private static int EphemeralRangeStart()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            return Math.Max(int.Parse(first), Lowest + 2000);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49152;
        }
    }
}
