using Xunit;

namespace ActorService.TestSupport.Tests.Haproxy;

/// <summary>The one HAProxy template renders into configurations HAProxy accepts, and a parameter left out is an error.</summary>
public sealed class HaproxyTemplateSpecs
{
    private static readonly HaproxyServer[] Servers = [HaproxyServer.Loopback("node1", 18081, 18581), new("node2", "198.18.3.12", 18082, 18582)];

    [Fact]
    public async Task Should_render_configurations_haproxy_accepts_when_either_preset_is_used()
    {
        var dir = Repo.NewWorkDir("haproxy-template");
        foreach (var (name, config) in new[]
                 {
                     ("no-retries", HaproxyConfig.NoRetries(18080, 18090, Servers)),
                     ("retry-connect", HaproxyConfig.RetryConnectFailures(18080, 18090, Servers) with { CheckInterval = "250ms" }),
                 })
        {
            var path = Path.Combine(dir, name + ".cfg");
            await File.WriteAllTextAsync(path, config.Render());
            var check = await Command.RunAsync("haproxy", ["-c", "-f", path]);
            Assert.True(check.Ok, $"haproxy -c rejected the {name} rendering: {check.Output}\n{config.Render()}");
        }
        var retry = HaproxyConfig.RetryConnectFailures(18080, 18090, Servers).Render();
        Assert.Contains("retry-on conn-failure", retry);
        Assert.Contains("server node2 198.18.3.12:18082 check port 18582", retry); // checks go to the management port
        Assert.Contains("http-response set-header X-Served-By %[srv_name]", retry);
        Assert.DoesNotContain("{{", retry);
    }

    [Fact]
    public void Should_refuse_to_render_when_a_parameter_has_no_value_or_a_value_has_no_parameter()
    {
        var missing = Assert.Throws<ArgumentException>(() => HaproxyTemplate.Render("bind {{FRONTEND}}\ninter {{CHECK_INTERVAL}}", new Dictionary<string, string> { ["FRONTEND"] = "x" }));
        Assert.Contains("CHECK_INTERVAL", missing.Message);
        var unknown = Assert.Throws<ArgumentException>(() => HaproxyTemplate.Render("bind {{FRONTEND}}", new Dictionary<string, string> { ["FRONTEND"] = "x", ["RETRIES"] = "0" }));
        Assert.Contains("RETRIES", unknown.Message);
    }
}
