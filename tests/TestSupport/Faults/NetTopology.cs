using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorService.TestSupport;

/// <summary>
/// Nodes in network namespaces joined by a bridge, for partitions (issue 13): a bridge in the root namespace with
/// 198.18.N.1/24 (198.18.0.0/15 is the benchmarking range: no real host has it), and per node a namespace with a veth
/// pair — one end on the bridge, the other, <c>eth0</c> in the namespace, with 198.18.N.(11 + i). The root namespace
/// (HAProxy, the private PostgreSQL and Redis listening on the bridge address) reaches every node and every node
/// reaches it and each other. <see cref="CutAsync"/> takes a node's link down at the bridge (it is cut off from
/// everything); <see cref="PartitionAsync"/> separates groups of nodes from each other while all still reach the root
/// namespace. Every name starts with <c>asn</c> and the topology's id; <see cref="DisposeAsync"/> deletes what it
/// made, and <see cref="CreateAsync"/> first deletes what runs that crashed left behind (their owner is gone).
/// Needs root and iproute2; <see cref="WhyNotAvailableAsync"/> says when it cannot work here.
/// </summary>
public sealed partial class NetTopology : IAsyncDisposable
{
    public const string Prefix = "asn";
    private static readonly string OwnerDir = Directory.Exists("/run") ? "/run/actorservice-netns" : "/tmp/actorservice-netns";
    private readonly HashSet<(int, int)> _blackholes = [];
    private bool _disposed;

    private NetTopology(string id, int subnet, int size)
    {
        Id = id;
        Subnet = subnet;
        Size = size;
    }

    /// <summary>Four hex digits in every name of this topology.</summary>
    public string Id { get; }
    /// <summary>N of 198.18.N.0/24.</summary>
    public int Subnet { get; }
    public int Size { get; }
    public string Bridge => $"{Prefix}{Id}br";
    public string BridgeAddress => $"198.18.{Subnet}.1";
    public string Namespace(int i) => $"{Prefix}{Id}n{i}";
    public string Address(int i) => $"198.18.{Subnet}.{11 + i}";
    /// <summary>The root namespace's end of node <paramref name="i"/>'s veth pair (on the bridge).</summary>
    public string RootLink(int i) => $"{Prefix}{Id}v{i}";
    /// <summary>Start a process through this to run it in node <paramref name="i"/>'s namespace (<c>ip netns exec</c> keeps the PID).</summary>
    public IReadOnlyList<string> Exec(int i) => ["ip", "netns", "exec", Namespace(i)];

    /// <summary>Null when namespaces can be made here, else why not.</summary>
    public static async Task<string?> WhyNotAvailableAsync()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root") return "network namespaces need root (CI runs as root)";
        try
        {
            var probe = await Command.RunAsync("ip", ["netns", "list"]);
            return probe.Ok ? null : $"'ip netns list' failed: {probe.Output}";
        }
        catch (System.ComponentModel.Win32Exception) { return "iproute2 ('ip') is not installed"; }
    }

    /// <summary>Makes the bridge and <paramref name="size"/> namespaces, each with its address and a route to the bridge.</summary>
    public static async Task<NetTopology> CreateAsync(int size)
    {
        if (await WhyNotAvailableAsync() is { } why) throw new InvalidOperationException(why);
        await RemoveLeftoversAsync();
        Directory.CreateDirectory(OwnerDir);
        string id;
        do id = Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
        while (File.Exists(Path.Combine(OwnerDir, id)));
        // The owner file comes first: a run that crashes half-way leaves objects a later run can tell are orphans.
        await File.WriteAllTextAsync(Path.Combine(OwnerDir, id), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var topology = new NetTopology(id, await FreeSubnetAsync(), size);
        try
        {
            await Ip("link", "add", topology.Bridge, "type", "bridge");
            await Ip("addr", "add", $"{topology.BridgeAddress}/24", "dev", topology.Bridge);
            await Ip("link", "set", topology.Bridge, "up");
            for (var i = 0; i < size; i++) await topology.AddNodeAsync(i);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
        return topology;
    }

    private async Task AddNodeAsync(int i)
    {
        var ns = Namespace(i);
        var peer = $"{Prefix}{Id}p{i}";
        await Ip("netns", "add", ns);
        await Ip("link", "add", RootLink(i), "type", "veth", "peer", "name", peer);
        await Ip("link", "set", peer, "netns", ns);
        await Ip("link", "set", RootLink(i), "master", Bridge, "up");
        await Ip("-n", ns, "link", "set", peer, "name", "eth0");
        await Ip("-n", ns, "addr", "add", $"{Address(i)}/24", "dev", "eth0");
        await Ip("-n", ns, "link", "set", "eth0", "up");
        await Ip("-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>Cuts node <paramref name="i"/> off: its link on the bridge goes down, so it reaches nothing and nothing reaches it.</summary>
    public Task CutAsync(int i) => Ip("link", "set", RootLink(i), "down");

    /// <summary>
    /// Brings node <paramref name="i"/>'s link on the bridge up again and returns once the node's namespace reaches the
    /// root namespace again: a heal is done when the network works, not when the command returned.
    /// </summary>
    public async Task HealAsync(int i)
    {
        await Ip("link", "set", RootLink(i), "up");
        // While cut off, both kernels learned that the other side does not answer (FAILED neighbour entries); a
        // connection tried in the first moment after the heal then fails at once with "No route to host". Seen in CI: a
        // node restarted right after the heal could not open its database and exited with code 1.
        await Ip("-n", Namespace(i), "neigh", "flush", "all");
        await Ip("neigh", "flush", "to", Address(i), "dev", Bridge);
        await Eventually.True(() => ReachesRootAsync(i), TimeSpan.FromSeconds(15),
            $"{Namespace(i)} to reach {BridgeAddress} again after the heal", TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// A TCP connection from node <paramref name="i"/>'s namespace to a closed port of the bridge address: "Connection
    /// refused" is the root namespace's kernel answering, so the path works (nothing needs to listen, no ping needed).
    /// </summary>
    private async Task<bool> ReachesRootAsync(int i)
    {
        var probe = await Command.RunAsync("ip", ["netns", "exec", Namespace(i), "timeout", "2", "bash", "-c", $"exec 3<>/dev/tcp/{BridgeAddress}/9"]);
        return probe.Ok || probe.Output.Contains("Connection refused", StringComparison.Ordinal);
    }

    /// <summary>
    /// Separates the nodes in <paramref name="side"/> from the others (blackhole routes in each namespace, both ways),
    /// while every node still reaches the root namespace: the database, HAProxy.
    /// </summary>
    public async Task PartitionAsync(IReadOnlyCollection<int> side)
    {
        foreach (var a in side)
            foreach (var b in Enumerable.Range(0, Size).Where(b => !side.Contains(b)))
            {
                await Blackhole(a, b);
                await Blackhole(b, a);
            }
    }

    /// <summary>Removes every partition made by <see cref="PartitionAsync"/>.</summary>
    public async Task HealPartitionsAsync()
    {
        foreach (var (from, to) in _blackholes.ToList())
        {
            await Ip("-n", Namespace(from), "route", "del", "blackhole", $"{Address(to)}/32");
            _blackholes.Remove((from, to));
        }
    }

    private async Task Blackhole(int from, int to)
    {
        if (!_blackholes.Add((from, to))) return;
        await Ip("-n", Namespace(from), "route", "add", "blackhole", $"{Address(to)}/32");
    }

    /// <summary>The names of namespaces and links of this topology that exist now.</summary>
    public async Task<IReadOnlyList<string>> ExistingObjectsAsync() =>
        (await ListOwnObjectsAsync()).Where(o => o.Id == Id).Select(o => o.Name).ToList();

    /// <summary>Deletes the namespaces (their veth pairs go with them), the bridge and the owner file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await DeleteAsync(Id);
    }

    /// <summary>Deletes what topologies whose owner process is gone left behind (namespaces, links, owner files).</summary>
    public static async Task RemoveLeftoversAsync()
    {
        foreach (var id in (await ListOwnObjectsAsync()).Select(o => o.Id).Distinct())
        {
            var owner = Path.Combine(OwnerDir, id);
            if (File.Exists(owner) && int.TryParse(await File.ReadAllTextAsync(owner), out var pid) && Directory.Exists($"/proc/{pid}")) continue;
            await DeleteAsync(id);
        }
    }

    private static async Task DeleteAsync(string id)
    {
        foreach (var (name, isNamespace, _) in (await ListOwnObjectsAsync()).Where(o => o.Id == id).OrderBy(o => o.IsNamespace ? 0 : 1))
            await Command.RunAsync("ip", isNamespace ? ["netns", "delete", name] : ["link", "delete", name]);
        File.Delete(Path.Combine(OwnerDir, id));
    }

    [GeneratedRegex(@"^asn([0-9a-f]{4})(?:br|n\d+|v\d+|p\d+)$")]
    private static partial Regex OwnName();

    private static async Task<IReadOnlyList<(string Name, bool IsNamespace, string Id)>> ListOwnObjectsAsync()
    {
        var found = new List<(string, bool, string)>();
        var namespaces = await Command.RunAsync("ip", ["netns", "list"]);
        foreach (var line in namespaces.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (OwnName().Match(line.Split(' ')[0]) is { Success: true } m) found.Add((m.Value, true, m.Groups[1].Value));
        var links = await Command.RunAsync("ip", ["-o", "link", "show"]);
        foreach (var line in links.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(':', 3)[1].Trim().Split('@')[0];
            if (OwnName().Match(name) is { Success: true } m) found.Add((m.Value, false, m.Groups[1].Value));
        }
        return found;
    }

    /// <summary>A /24 of 198.18.0.0/16 no interface here has an address in.</summary>
    private static async Task<int> FreeSubnetAsync()
    {
        var used = (await Command.RunAsync("ip", ["-4", "-o", "addr", "show"])).Output;
        var candidates = Enumerable.Range(1, 254).Where(n => !used.Contains($" 198.18.{n}.", StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0) throw new InvalidOperationException("no free /24 left in 198.18.0.0/16");
        return candidates[Random.Shared.Next(candidates.Count)];
    }

    private static async Task Ip(params string[] args)
    {
        var result = await Command.RunAsync("ip", args);
        if (!result.Ok) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({result.Code}): {result.Output}");
    }

    public override string ToString() =>
        $"bridge {Bridge} {BridgeAddress}/24, namespaces {string.Join(", ", Enumerable.Range(0, Size).Select(i => $"{Namespace(i)} {Address(i)}"))}";
}
