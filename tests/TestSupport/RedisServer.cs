using StackExchange.Redis;

namespace ActorService.TestSupport;

/// <summary>
/// A Redis server of one spec's own (a child process on a free loopback port, no persistence), so the spec can
/// stop, restart and flush it without disturbing anyone else. Needs <c>redis-server</c> (scripts/install-test-deps.sh).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _logDir = Repo.NewWorkDir("redis");
    private ChildProcess? _process;
    private int _starts;

    private RedisServer(int port) => Port = port;

    public int Port { get; }
    public string Configuration => $"127.0.0.1:{Port}";
    public bool Running => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(Ports.Free());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port, empty.</summary>
    public async Task StartAgainAsync()
    {
        if (Running) throw new InvalidOperationException($"redis on {Port} is already running");
        if (_process is not null) await _process.DisposeAsync();
        var process = _process = ChildProcess.Run(new ChildStart("redis-server", "redis-server",
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            Path.Combine(_logDir, $"redis-{++_starts}.log")));
        await Eventually.True(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server on port {Port} exited with {await process.Exited}: {process.Tail(5)}");
            try
            {
                await using var c = await ConnectionMultiplexer.ConnectAsync($"{Configuration},connectTimeout=500,abortConnect=false");
                return c.IsConnected;
            }
            catch (RedisException) { return false; }
        }, TimeSpan.FromSeconds(20), $"redis-server on port {Port} to accept connections");
    }

    /// <summary>Kills the server (SIGKILL: everything in it is lost, as in a crash).</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited) return;
        _process.Signal(Signals.SIGKILL);
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_process is not null) await _process.DisposeAsync();
    }
}
