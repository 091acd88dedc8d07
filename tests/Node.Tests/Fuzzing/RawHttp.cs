using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorService.Node.Tests.Fuzzing;

/// <summary>
/// Bytes on a raw TCP connection, for what HttpClient refuses to send (broken request lines, bad framing, garbage).
/// The connection is not half-closed after sending: Kestrel takes a client's FIN as "gone" and drops the response.
/// Instead the reply is read until the server closes, or until it stays silent (nothing within
/// <c>firstByte</c>, or a pause of <c>idle</c> after some bytes), which is what a truncated request gets.
/// </summary>
internal static partial class RawHttp
{
    /// <summary>What came back: every HTTP status line in the bytes read, and the text itself.</summary>
    public sealed record Reply(IReadOnlyList<int> Statuses, string Text, bool Silent);

    public static async Task<Reply> SendAsync(int port, byte[] payload, TimeSpan firstByte, TimeSpan idle)
    {
        using var client = new TcpClient { NoDelay = true };
        var received = new MemoryStream();
        var silent = false;
        try
        {
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                await client.ConnectAsync(IPAddress.Loopback, port, connect.Token);
            var stream = client.GetStream();
            // Read while writing: a server that answers 400 and closes with our bytes unread resets the connection,
            // and a reset discards whatever the client had not read yet.
            var reading = ReadUntilQuietAsync(stream, received, firstByte, idle);
            try { await stream.WriteAsync(payload); }
            catch (IOException) { /* the server closed early (e.g. after a 400): what it said is being read */ }
            silent = await reading;
        }
        catch (IOException) { /* reset by the server: fine, what was read still counts */ }
        catch (SocketException) { /* same */ }

        var text = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)received.Length);
        var statuses = StatusLine().Matches(text).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        return new Reply(statuses, text, silent);
    }

    /// <returns>true when reading stopped because the server went quiet rather than closing.</returns>
    private static async Task<bool> ReadUntilQuietAsync(NetworkStream stream, MemoryStream received, TimeSpan firstByte, TimeSpan idle)
    {
        var buffer = new byte[8192];
        while (true)
        {
            using var quiet = new CancellationTokenSource(received.Length == 0 ? firstByte : idle);
            int read;
            try { read = await stream.ReadAsync(buffer, quiet.Token); }
            catch (OperationCanceledException) { return true; }
            if (read == 0) return false;
            if (received.Length < 256 * 1024) received.Write(buffer, 0, read);
        }
    }

    [GeneratedRegex(@"(?m)^HTTP/1\.[01] (\d{3})")]
    private static partial Regex StatusLine();
}
