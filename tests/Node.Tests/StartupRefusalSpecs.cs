using ActorService.Node.Admin;
using ActorService.Node.Config;
using ActorService.Node.Hosting;
using ActorService.Node.Shutdown;
using ActorService.TestSupport;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Settings a node refuses to start with (exit 2, a message that says what to do): an admin token that is short or a
/// documented placeholder, and test hooks in the Production environment.
/// </summary>
public sealed class StartupRefusalSpecs
{
    private static NodeConfiguration Load(params string[] args) => NodeConfiguration.Load(NodeOptions.Parse(args, _ => null));

    // The example secret shows one of the listed placeholders today; Distinct keeps that row once, since xunit skips a
    // row whose arguments repeat another's (with a warning only), and its row stays for the day the example changes.
    public static TheoryData<string> WeakTokens => new(new[]
    {
        "s3cret",
        new string('a', AdminTokenPolicy.MinLength - 1),
        "CHANGE-ME-long-random-admin-token",
        "replace-with-at-least-32-random-characters",
        ExampleToken(),
    }.Distinct(StringComparer.Ordinal));

    /// <summary>The token the production overlay's example secret shows (deploy/k8s/overlays/production/secret.example.env).</summary>
    private static string ExampleToken() =>
        File.ReadLines(Path.Combine(Repo.Root, "deploy", "k8s", "overlays", "production", "secret.example.env"))
            .Single(l => l.StartsWith("admin-token=", StringComparison.Ordinal))["admin-token=".Length..];

    [Theory]
    [MemberData(nameof(WeakTokens))]
    public void Should_refuse_to_start_without_showing_it_when_the_admin_token_is_short_or_a_placeholder(string token)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load("--admin-token", token));
        Assert.Contains("admin token", e.Message);
        Assert.DoesNotContain(token, e.Message);
    }

    [Fact]
    public void Should_refuse_a_short_token_from_a_file_as_from_a_flag()
    {
        var file = Path.Combine(Repo.NewWorkDir("token-file"), "admin-token");
        File.WriteAllText(file, "short\n");
        Assert.Contains("at least 32", Assert.Throws<ConfigurationException>(() => Load("--admin-token-file", file)).Message);
    }

    [Fact]
    public void Should_start_when_the_token_is_long_and_random_or_when_there_is_none()
    {
        var token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)); // 32 characters
        Assert.Equal(token, Load("--admin-token", token).Node.AdminToken);
        Assert.Equal("", Load().Node.AdminToken); // admin disabled, never open
    }

    [Fact]
    public void Should_refuse_to_start_when_the_management_port_is_the_http_port()
    {
        // The listener is told by the connection's port: one number for both would put /admin on the public port.
        var port = Ports.Free().ToString();
        var e = Assert.Throws<ConfigurationException>(() => NodeHost.Build(["--http-port", port, "--management-port", port],
            new NodeHostOptions { Environment = _ => null, EnvironmentName = "Testing", Console = false }));
        Assert.Contains("--http-port and --management-port must differ", e.Message);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("")]
    public async Task Should_refuse_test_hooks_when_the_environment_is_production(string environment)
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeHost.Build(["--allow-test-hooks", "--http-port", Ports.Free().ToString()],
            new NodeHostOptions { Environment = _ => null, EnvironmentName = environment, Console = false }));
        Assert.Contains("refused in the Production environment", e.Message);

        await using var testing = NodeHost.Build(["--allow-test-hooks", "--http-port", Ports.Free().ToString()],
            new NodeHostOptions { Environment = _ => null, EnvironmentName = "Testing", Console = false });
        Assert.Equal("Testing", testing.Environment.EnvironmentName);
    }

    [Fact]
    public async Task Should_exit_2_with_a_clear_message_when_a_process_gets_test_hooks_in_production()
    {
        await using var node = NodeProcess.Start(NodeLaunch.Single(Repo.NewWorkDir("hooks-prod")) with
        {
            TestHooks = true,
            Environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
        }, "hooks-prod");
        Assert.Equal(ExitCodes.BadConfiguration, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(node.Lines.Any(l => l.StartsWith("actorservice: test hooks", StringComparison.Ordinal) && l.Contains("Production")), node.Tail());
    }

    [Fact]
    public async Task Should_exit_2_without_printing_the_token_when_a_process_gets_a_short_admin_token()
    {
        const string token = "short-token-1234";
        await using var node = NodeProcess.Start(NodeLaunch.Single(Repo.NewWorkDir("short-token")) with { AdminToken = token }, "short-token");
        Assert.Equal(ExitCodes.BadConfiguration, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(node.Lines.Any(l => l.StartsWith("actorservice: the admin token", StringComparison.Ordinal) && l.Contains("at least 32")), node.Tail());
        Assert.DoesNotContain(node.Lines, l => l.Contains(token));
    }
}
