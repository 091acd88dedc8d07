using System.Net;
using System.Net.Sockets;

namespace ActorService.TestSupport;

/// <summary>Free loopback TCP ports for nodes started by tests; never hands out the same port twice in one run.</summary>
public static class Ports
{
    private static int _next = 20000 + Random.Shared.Next(0, 20000);

    public static int Free()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref _next);
            if (port > 60000) Interlocked.Exchange(ref _next, 20000);
            if (IsFree(port)) return port;
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
}
