using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// What a node exposes on the network: every socket it listens on is bound to the configured address only
/// (loopback by default), and a node of another cluster (another ActorSystem name) cannot join.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ClusterExposureSpecs
{
    private const string Token = "exposure-admin-token-0123456789abcdef";

    [Fact]
    public async Task Should_listen_on_the_configured_loopback_address_only_when_bound_to_127_0_0_1()
    {
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("exposure")));

        // Every listening TCP socket the node process owns (HTTP, remoting, and anything added later such as
        // Akka.Management), read from /proc: the kernel's own account of what is bound where.
        var listening = ListeningSockets(node.Pid);
        var ports = listening.Select(l => l.Port).ToHashSet();
        Assert.True(ports.Contains(node.Launch.HttpPort) && ports.Contains(node.Launch.ClusterPort),
            $"expected the HTTP ({node.Launch.HttpPort}) and remoting ({node.Launch.ClusterPort}) ports among {Show(listening)}");
        Assert.True(listening.All(l => IPAddress.IsLoopback(l.Address)), $"a socket listens beyond loopback: {Show(listening)}");

        // And from the outside: the ports answer on 127.0.0.1 but not on this machine's other addresses.
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address))
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .ToList();
        foreach (var port in ports)
        {
            Assert.True(await CanConnect(IPAddress.Loopback, port), $"port {port} must answer on 127.0.0.1 (control)");
            foreach (var address in external)
                Assert.False(await CanConnect(address, port), $"port {port} answers on {address}, beyond the configured 127.0.0.1");
        }
    }

    public static TheoryData<string, string[]> ForeignJoins => new()
    {
        // The natural mistake: the right seeds, the wrong cluster name (seed addresses then carry "other").
        { "another cluster name", ["--cluster-name", "other", "--seeds", "127.0.0.1:{seed}"] },
        // Deliberate: another name, but seed addresses spelled with this cluster's name, so Akka's Join check decides.
        { "another cluster name aiming at this cluster", ["--cluster-name", "other", "--hocon", "akka.cluster.seed-nodes = [\"akka.tcp://actor-service@127.0.0.1:{seed}\"]"] },
    };

    [Theory]
    [MemberData(nameof(ForeignJoins))]
    public async Task Should_keep_a_node_of_another_cluster_out_when_it_tries_to_join(string name, string[] args)
    {
        var dir = Repo.NewWorkDir("foreign");
        await using var a = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with { AdminToken = Token }, "a");
        var seed = a.Launch.ClusterPort.ToString(CultureInfo.InvariantCulture);
        await using var foreign = NodeProcess.Start(NodeLaunch.Single(dir) with
        {
            AdminToken = Token,
            ExtraArgs = args.Select(x => x.Replace("{seed}", seed)).ToList(),
        }, "foreign");

        // Wait until the join was tried and failed: a round of seed contacts went unanswered (the seed's remoting
        // drops messages addressed to another system: the ledger check before the join, or Akka's own seed contacts),
        // or Akka's Join check saw the other name.
        await Eventually.True(() =>
                foreign.Lines.Any(l => l.Contains("Couldn't join seed nodes", StringComparison.Ordinal) || l.Contains("wrong ActorSystem name", StringComparison.Ordinal)
                                       || l.Contains("Ledger check: no answer", StringComparison.Ordinal)) ||
                a.Lines.Any(l => l.Contains("wrong ActorSystem name", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), $"{name}: the foreign node's join to be tried and refused (logs {foreign.LogPath}, {a.LogPath})");

        Assert.Equal([Address(a)], await a.UpMembers(Token));
        Assert.False(foreign.HasExited, $"{name}: the foreign node should keep running (it just never joins)\n{foreign.Tail()}");
        Assert.NotEqual(HttpStatusCode.OK, (await foreign.Http.GetAsync("health/ready")).StatusCode);

        // Control: a node with the right name and the same seed does join, so the refusal above was about the name.
        await using var b = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with
        {
            AdminToken = Token,
            Seeds = [$"127.0.0.1:{seed}"],
        }, "b");
        await Eventually.True(async () => (await a.UpMembers(Token)).Count == 2, TimeSpan.FromSeconds(30), $"{name}: node b to be Up in a's view");
        Assert.Equal(new[] { Address(a), Address(b) }.Order(), (await a.UpMembers(Token)).Order());
        Assert.NotEqual(HttpStatusCode.OK, (await foreign.Http.GetAsync("health/ready")).StatusCode);
    }

    private static string Address(NodeProcess node) => $"akka.tcp://actor-service@127.0.0.1:{node.Launch.ClusterPort}";


    private static async Task<bool> CanConnect(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private sealed record Listener(IPAddress Address, int Port);

    private static string Show(IEnumerable<Listener> listening) => string.Join(", ", listening.Select(l => $"{l.Address}:{l.Port}"));

    /// <summary>TCP sockets in LISTEN state owned by the process: its socket inodes matched against /proc/net/tcp{,6}.</summary>
    private static List<Listener> ListeningSockets(int pid)
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Where(t => t is not null && t.StartsWith("socket:[", StringComparison.Ordinal))
            .Select(t => t![8..^1]).ToHashSet();
        var result = new List<Listener>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A" || !inodes.Contains(f[9])) continue; // 0A = LISTEN
                var (hex, port) = (f[1].Split(':')[0], int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                result.Add(new Listener(ParseProcAddress(hex), port));
            }
        }
        return result;
    }

    /// <summary>/proc/net addresses are the raw in_addr/in6_addr bytes, printed as 32-bit words in host (little-endian) order.</summary>
    private static IPAddress ParseProcAddress(string hex)
    {
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        for (var i = 0; i < 4; i++)
            bytes[word * 4 + i] = byte.Parse(hex.AsSpan(word * 8 + (3 - i) * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
