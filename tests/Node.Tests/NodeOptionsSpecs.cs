using ActorService.Node.Config;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>
/// Flags and environment variables (read through Microsoft.Extensions.Configuration) become HOCON over hocon.conf;
/// mistakes are reported, not ignored.
/// </summary>
public sealed class NodeOptionsSpecs
{
    private static Akka.Configuration.Config Load(string[] args, Dictionary<string, string>? env = null)
    {
        var options = NodeOptions.Parse(args, name => env?.GetValueOrDefault(name));
        return HoconLoader.Load(options);
    }

    [Fact]
    public void Should_apply_flags_over_the_file_when_given()
    {
        var c = Load(["--http-port", "9001", "--cluster-port=4999", "--data-dir", "/tmp/x", "--seeds", "127.0.0.1:5001,127.0.0.1:5002"]);
        Assert.Equal(9001, c.GetInt("actor-service.http.port"));
        Assert.Equal(4999, c.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("/tmp/x", c.GetString("actor-service.db.data-dir"));
        Assert.Equal(["akka.tcp://actor-service@127.0.0.1:5001", "akka.tcp://actor-service@127.0.0.1:5002"], c.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Should_prefer_flags_over_environment_and_environment_over_the_file()
    {
        var env = new Dictionary<string, string> { ["ACTORSERVICE_HTTP_PORT"] = "7000", ["ACTORSERVICE_LB_DELAY"] = "5s" };
        var c = Load(["--http-port", "7001"], env);
        Assert.Equal(7001, c.GetInt("actor-service.http.port"));
        Assert.Equal(TimeSpan.FromSeconds(5), c.GetTimeSpan("actor-service.drain.lb-delay"));
    }

    [Fact]
    public void Should_select_postgres_and_redis_and_mask_their_values_when_the_storage_flags_are_given()
    {
        var env = new Dictionary<string, string> { ["ACTORSERVICE_REDIS"] = "127.0.0.1:6379,password=hunter2" };
        var args = new[] { "--postgres", "Host=db;Username=app;Password=s3cret" };
        var c = Load(args, env);
        Assert.Equal("postgres", c.GetString("actor-service.db.backend"));
        Assert.Equal("Host=db;Username=app;Password=s3cret", c.GetString("actor-service.db.postgres.connection-string"));
        Assert.Equal("redis", c.GetString("actor-service.cache.backend"));
        Assert.Equal("redis", c.GetString("actor-service.events.sink"));
        Assert.Equal("127.0.0.1:6379,password=hunter2", c.GetString("actor-service.redis.configuration"));
        var logged = string.Join(" ", NodeOptions.Parse(args, name => env.GetValueOrDefault(name)).Describe());
        Assert.DoesNotContain("s3cret", logged);
        Assert.DoesNotContain("hunter2", logged);
    }

    [Fact]
    public void Should_keep_the_embedded_storage_when_no_storage_flag_is_given()
    {
        var c = Load([]);
        Assert.Equal(("sqlite", "in-process", "file"), (c.GetString("actor-service.db.backend"), c.GetString("actor-service.cache.backend"), c.GetString("actor-service.events.sink")));
        Assert.Equal(["events", "cache", "db"], c.GetStringList("actor-service.drain.close-order"));
    }

    [Fact]
    public void Should_join_itself_when_no_seeds_are_given()
    {
        var c = Load(["--cluster-port", "4100"]);
        Assert.Equal(["akka.tcp://actor-service@127.0.0.1:4100"], c.GetStringList("akka.cluster.seed-nodes"));
    }

    [Theory]
    [InlineData("--no-such-flag", "1", "unknown option")]
    [InlineData("--http-port", "eighty", "whole number")]
    [InlineData("--lb-delay", "5 parsecs", "duration")]
    [InlineData("--seeds", "nohostport", "host:port")]
    public void Should_report_a_clear_error_when_a_flag_is_wrong(string flag, string value, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load([flag, value]));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(new[] { "--allow-test-hooks" }, "on")]
    [InlineData(new[] { "--allow-test-hooks", "--http-port", "9001" }, "on")]
    [InlineData(new[] { "--http-port", "9001", "--allow-test-hooks" }, "on")]
    [InlineData(new[] { "--allow-test-hooks", "false", "--http-port", "9001" }, "off")]
    [InlineData(new[] { "--allow-test-hooks=no" }, "off")]
    [InlineData(new string[0], "off")]
    public void Should_take_a_bare_switch_as_on_without_swallowing_the_next_flag_when_test_hooks_are_asked_for(string[] args, string expected)
    {
        var c = Load(args);
        Assert.Equal(expected == "on", c.GetBoolean("actor-service.testing.allow-test-hooks"));
        if (args.Contains("--http-port")) Assert.Equal(9001, c.GetInt("actor-service.http.port"));
    }

    [Fact]
    public void Should_read_every_flag_from_its_actorservice_variable_when_only_the_environment_gives_it()
    {
        // The variables keep their names: ACTORSERVICE_ + the flag in upper snake case, one per flag.
        foreach (var o in Overrides.All)
            Assert.Equal("ACTORSERVICE_" + o.Flag[2..].Replace('-', '_').ToUpperInvariant(), o.EnvVar);
        var env = new Dictionary<string, string>
        {
            ["ACTORSERVICE_ALLOW_TEST_HOOKS"] = "true",
            ["ACTORSERVICE_SEEDS"] = "10.0.0.5:4053",
            ["ACTORSERVICE_HOCON"] = "actor-service.accounts.recent-keys = 3",
            ["ACTORSERVICE_LOG_LEVEL"] = "Debug",
        };
        var c = Load([], env);
        Assert.True(c.GetBoolean("actor-service.testing.allow-test-hooks"));
        Assert.Equal(["akka.tcp://actor-service@10.0.0.5:4053"], c.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(3, c.GetInt("actor-service.accounts.recent-keys"));
        Assert.Equal("Debug", c.GetString("actor-service.logging.level"));
    }

    [Theory]
    [InlineData(new[] { "--http-port" }, "'--http-port' needs a value")]
    [InlineData(new[] { "--seeds" }, "'--seeds' needs a value")]
    [InlineData(new[] { "--allow-test-hooks", "maybe" }, "--allow-test-hooks (ACTORSERVICE_ALLOW_TEST_HOOKS) must be true or false")]
    [InlineData(new[] { "--cluster-port", "-1" }, "--cluster-port (ACTORSERVICE_CLUSTER_PORT) must be a whole number")]
    [InlineData(new[] { "http-port", "1" }, "unknown option 'http-port'")]
    public void Should_name_the_flag_when_a_value_is_missing_or_malformed(string[] args, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(args));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Should_name_the_variable_when_a_value_from_the_environment_is_malformed()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load([], new Dictionary<string, string> { ["ACTORSERVICE_LB_DELAY"] = "soon" }));
        Assert.Contains("ACTORSERVICE_LB_DELAY", e.Message);
    }

    [Fact]
    public void Should_refuse_a_log_level_or_format_it_does_not_know_before_anything_starts()
    {
        Assert.Contains("Verbose, Debug", Assert.Throws<ConfigurationException>(() =>
            NodeConfiguration.Load(NodeOptions.Parse(["--log-level", "Loud"], _ => null))).Message);
        Assert.Contains("text or json", Assert.Throws<ConfigurationException>(() =>
            NodeConfiguration.Load(NodeOptions.Parse(["--log-format", "xml"], _ => null))).Message);
    }

    [Fact]
    public void Should_read_the_admin_token_from_a_file_when_given_one()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "from-file\n");
        Assert.Equal("from-file", Load(["--admin-token-file", file]).GetString("actor-service.admin.token"));
    }

    [Fact]
    public void Should_mask_secrets_when_describing_the_flags()
    {
        var options = NodeOptions.Parse(["--admin-token", "s3cret", "--http-port", "1"], _ => null);
        Assert.DoesNotContain(options.Describe(), d => d.Contains("s3cret"));
    }
}
