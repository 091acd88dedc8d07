using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActorService.TestSupport.Tests.Client;

/// <summary>An in-process HTTP server on a free loopback port that answers every request the way a spec says.</summary>
internal sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _active;

    private StubServer(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;
    /// <summary>The most requests the server had in hand at once.</summary>
    public int MaxConcurrent { get; private set; }
    public List<string?> KeysSeen { get; } = [];

    public static async Task<StubServer> StartAsync(Func<HttpContext, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Limits.MaxConcurrentConnections = null).UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new StubServer(app);
        app.Run(async context =>
        {
            lock (server.KeysSeen)
            {
                server.KeysSeen.Add(context.Request.Headers["Idempotency-Key"].FirstOrDefault());
                server.MaxConcurrent = Math.Max(server.MaxConcurrent, ++server._active);
            }
            try { await answer(context); }
            finally { lock (server.KeysSeen) server._active--; }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Uri = new Uri(address + "/");
        return server;
    }

    /// <summary>Never answers (until the client gives up): a node whose requests hang.</summary>
    public static Task Hang(HttpContext context) => Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

    public static async Task Json(HttpContext context, int status, string json, params (string Name, string Value)[] headers)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = status >= 400 ? "application/problem+json" : "application/json";
        foreach (var (name, value) in headers) context.Response.Headers[name] = value;
        await context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1)); // hanging requests are abandoned
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
