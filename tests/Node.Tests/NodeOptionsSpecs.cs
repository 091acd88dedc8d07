using ActorService.Node.Config;
using Xunit;

namespace ActorService.Node.Tests;

/// <summary>Flags and environment variables become HOCON over hocon.conf; mistakes are reported, not ignored.</summary>
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
