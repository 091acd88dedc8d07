using System.Net;
using System.Text.Json;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>A node logging at Debug, in the readable text format, for the log correlation specs.</summary>
public sealed class DebugNodeFixture : IAsyncLifetime
{
    public InProcessNode Node { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Node = await InProcessNode.StartReadyAsync(NodeLaunch.Single(Repo.NewWorkDir("logs")) with { LogLevel = "Debug" }, "logs");

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>The node's log lines can be joined up: a request's lines by its trace id, a drain's lines by its shutdown id.</summary>
public sealed class LogCorrelationSpecs(DebugNodeFixture fixture) : IClassFixture<DebugNodeFixture>
{
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(15);

    /// <summary>Lines that start an event ("[HH:mm:ss.fff LVL] …"); continuation lines of multi-line events are skipped.</summary>
    private static bool IsEvent(string line) => line.Length > 14 && line[0] == '[' && line[3] == ':' && line[13] == ' ';

    [Fact]
    public async Task Should_carry_the_trace_id_on_every_line_of_a_request_when_a_traceparent_is_sent()
    {
        var node = fixture.Node;
        var account = "trace-" + Guid.NewGuid().ToString("N")[..10];
        var traceId = Guid.NewGuid().ToString("N"); // 32 hex digits
        using var request = new HttpRequestMessage(HttpMethod.Post, $"accounts/{account}/deposit")
        {
            Content = new StringContent("""{"amount": 12}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{Guid.NewGuid().ToString("N")[..16]}-01");
        Assert.Equal(HttpStatusCode.OK, (await LedgerClient.Send(node.Http, request)).Status);

        await node.WaitForLogAsync(l => l.Contains($"HTTP POST /accounts/{account}/deposit responded 200"), LogWait, "the request's completion line");
        await node.WaitForLogAsync(l => l.Contains($"applied to {account}"), LogWait, "the entity's line about the write");
        var lines = node.Lines.Where(l => IsEvent(l) && l.Contains(account)).ToList();
        Assert.True(lines.Count >= 2, $"expected the entity's and the request's lines:\n{string.Join('\n', lines)}");
        Assert.Contains(lines, l => l.Contains("<ActorService.Actors.Accounts.AccountActor>"));
        var untraced = lines.Where(l => !l.Contains($"trace={traceId}")).ToList();
        Assert.True(untraced.Count == 0, $"lines about {account} without trace={traceId}:\n{string.Join('\n', untraced)}");
    }

    [Fact]
    public async Task Should_name_akka_log_sources_instead_of_a_placeholder_when_akka_logs()
    {
        var node = fixture.Node;
        await node.WaitForLogAsync(l => l.Contains("Cluster Node [") && l.Contains("<Cluster>"), LogWait, "Akka's cluster lines with their source");
        var placeholders = node.Lines.Where(l => l.Contains("DummyClassForStringSources")).ToList();
        Assert.True(placeholders.Count == 0, $"Akka lines still name the placeholder class:\n{string.Join('\n', placeholders.Take(5))}");
    }
}

/// <summary>Every line a drain writes, Akka's own included, carries the drain's shutdown id.</summary>
public sealed class DrainLogSpecs
{
    [Fact]
    public async Task Should_carry_the_shutdown_id_on_every_line_of_a_drain_when_draining()
    {
        var dir = Repo.NewWorkDir("drain-logs");
        var reportPath = Path.Combine(dir, "report.json");
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with { ReportPath = reportPath, LogLevel = "Debug" }, "drain-logs");
        Assert.Equal(HttpStatusCode.OK, (await node.Http.Deposit("drain-log", 1)).Status); // an entity to hand off

        node.Signal(Signals.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var id = JsonDocument.Parse(await File.ReadAllTextAsync(reportPath)).RootElement.GetProperty("shutdownId").GetString();

        var events = node.Lines.Where(l => l.Length > 14 && l[0] == '[' && l[3] == ':' && l[13] == ' ').ToList();
        var begin = events.FindIndex(l => l.Contains($"Shutdown {id} begins"));
        Assert.True(begin >= 0, $"no 'Shutdown {id} begins' line:\n{node.Tail(60)}");
        var drain = events.Skip(begin).ToList();
        var missing = drain.Where(l => !l.Contains($"shutdown={id}")).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {drain.Count} drain lines lack shutdown={id}:\n{string.Join('\n', missing.Take(10))}");
        // Akka's own lines (cluster leaving, remoting) are among them, not only the plan's.
        Assert.Contains(drain, l => l.Contains("<Cluster>") && l.Contains("Leaving"));
        Assert.Contains(drain, l => l.Contains("<ActorService.Node.Shutdown.ShutdownTimeline>") && l.Contains("cluster-sharding-shutdown-region"));
    }
}
