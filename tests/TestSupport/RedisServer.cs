using System.Diagnostics;
using StackExchange.Redis;

namespace ActorService.TestSupport;

/// <summary>
/// A Redis server of one spec's own (a child process on a free loopback port, no persistence), so the spec can
/// stop, restart and flush it without disturbing anyone else. Needs <c>redis-server</c> (scripts/install-test-deps.sh).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

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
        var psi = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
            psi.ArgumentList.Add(a);
        try { _process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: run scripts/install-test-deps.sh", e);
        }
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.True(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server on port {Port} exited with {_process.ExitCode}");
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
        Signals.Send(_process.Id, Signals.SIGKILL);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }
}
