using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using ActorService.Node.Hosting;
using ActorService.Node.Logging;
using ActorService.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace ActorService.Node.Tests;

/// <summary>
/// A node built in the test process by <see cref="NodeHost.Build(string[], NodeHostOptions?)"/> from exactly the flags a
/// process gets (<see cref="NodeLaunch.Args"/>): real Kestrel on free 127.0.0.1 ports (public and management, so a
/// request's listener is told by its real local port as in production), a one-node cluster on a free
/// remoting port, SQLite in the launch's data folder (or PostgreSQL/Redis when the launch says so). Tests speak real
/// HTTP to it as to a process; its log lines are kept (same text format) instead of written to the console.
/// For the specs where the process is not the point: contract, validation, admin, metrics, logs.
/// </summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LineSink _lines;

    private InProcessNode(NodeLaunch launch, string name, WebApplication app, LineSink lines)
    {
        Launch = launch;
        Name = name;
        _app = app;
        _lines = lines;
        Http = NodeProcess.NewClient(BaseUri);
        Management = NodeProcess.NewClient(ManagementUri);
    }

    public NodeLaunch Launch { get; }
    public string Name { get; }
    public Uri BaseUri => new($"http://127.0.0.1:{Launch.HttpPort}/");
    public HttpClient Http { get; }
    /// <summary>The management listener: probes, /admin, /metrics, test hooks.</summary>
    public Uri ManagementUri => new($"http://127.0.0.1:{Launch.ManagementPort}/");
    public HttpClient Management { get; }
    public string LogPath => _lines.Path;
    public IReadOnlyCollection<string> Lines => _lines.Lines;
    public IServiceProvider Services => _app.Services;

    /// <summary>An in-process node never exits on its own: the host stopped means the test process stopped it.</summary>
    public bool HasExited => _app.Lifetime.ApplicationStopped.IsCancellationRequested;

    public static async Task<InProcessNode> StartReadyAsync(NodeLaunch launch, string name = "node", TimeSpan? within = null)
    {
        Directory.CreateDirectory(launch.DataDir);
        var lines = new LineSink(Path.Combine(launch.DataDir, $"{name}.log"));
        var app = NodeHost.Build([.. launch.Args()], new NodeHostOptions
        {
            Environment = variable => launch.Environment.GetValueOrDefault(variable),
            EnvironmentName = launch.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") ?? NodeProcess.TestEnvironment,
            Console = false,
            Logging = logging => logging.WriteTo.Sink(lines),
        });
        var node = new InProcessNode(launch, name, app, lines);
        try
        {
            await app.StartAsync();
            await node.WaitReadyAsync(within ?? TimeSpan.FromSeconds(60));
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public async Task WaitReadyAsync(TimeSpan within)
    {
        using var probe = NodeProcess.NewClient(ManagementUri, TimeSpan.FromSeconds(2));
        await Eventually.True(async () =>
        {
            try { return (await probe.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, within, $"{Name} on port {Launch.HttpPort} to become ready (log: {LogPath})", TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Waits until a log line matches, and returns it.</summary>
    public Task<string> WaitForLogAsync(Func<string, bool> match, TimeSpan within, string what) =>
        Eventually.Get(() => Task.FromResult(_lines.Lines.FirstOrDefault(match)), within, $"{Name} to log {what} (log: {LogPath})");

    public string Tail(int lines = 30) => string.Join('\n', _lines.Lines.TakeLast(lines));

    /// <summary>Stops the host the way the process stops on SIGTERM (the drain runs), then releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        var logger = _app.Services.GetRequiredService<Logger>();
        try { await _app.StopAsync(); }
        finally
        {
            await _app.DisposeAsync();
            Http.Dispose();
            Management.Dispose();
            // Akka writes through Serilog's static logger, which this host set; another node may have set it since.
            if (ReferenceEquals(Serilog.Log.Logger, logger)) Serilog.Log.Logger = Logger.None;
            await logger.DisposeAsync();
            _lines.Dispose();
        }
    }

    /// <summary>Keeps every line in memory and in a file, rendered as the process's console would print it.</summary>
    private sealed class LineSink(string path) : ILogEventSink, IDisposable
    {
        private readonly MessageTemplateTextFormatter _format = new(SerilogSetup.TextTemplate, CultureInfo.InvariantCulture);
        private readonly StreamWriter _file = new(path, append: true) { AutoFlush = true };
        private readonly ConcurrentQueue<string> _lines = new();
        private bool _closed;

        public string Path { get; } = path;
        public IReadOnlyCollection<string> Lines => _lines;

        public void Emit(LogEvent logEvent)
        {
            var text = new StringWriter();
            _format.Format(logEvent, text);
            foreach (var line in text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                _lines.Enqueue(line.TrimEnd('\r'));
            lock (_file) if (!_closed) _file.Write(text.ToString());
        }

        public void Dispose()
        {
            lock (_file)
            {
                _closed = true;
                _file.Dispose();
            }
        }
    }
}
