using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>SIGHUP re-reads the configuration file and applies the log level without a restart.</summary>
public sealed class SighupSpecs
{
    [Fact]
    public async Task Should_apply_the_new_log_level_when_sighup_arrives_after_the_file_changed()
    {
        var dir = Repo.NewWorkDir("sighup");
        var config = Path.Combine(dir, "hocon.conf");
        File.Copy(Repo.HoconFile, config);
        // Without --log-level the file decides the level.
        await using var node = await NodeProcess.StartReadyAsync(NodeLaunch.Single(dir) with { ExtraArgs = ["--config", config] });
        File.WriteAllText(config, File.ReadAllText(config).Replace("level = Information", "level = Warning"));

        node.Signal(Signals.SIGHUP);

        var changed = await node.WaitForLogAsync(l => l.Contains("SIGHUP: configuration re-read"), TimeSpan.FromSeconds(10), "the reload line");
        Assert.Contains("Information -> Warning", changed);
        Assert.False(node.HasExited, "SIGHUP must not stop the node");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await node.Http.GetAsync("health/ready")).StatusCode);
        node.Signal(Signals.SIGTERM);
        Assert.Equal(ExitCodes.Clean, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // At Warning, the drain's Information lines are no longer written.
        Assert.DoesNotContain(node.Lines, l => l.Contains("Shutdown phase service-unbind started"));
    }
}
