using Npgsql;
using StackExchange.Redis;

namespace ActorService.TestSupport;

/// <summary>
/// The private PostgreSQL and Redis servers that <c>scripts/test-services.sh start</c> runs for the suite (the README's
/// test command starts and stops them). Specs that need them fail, with instructions, when they are not running:
/// a storage spec that silently skips would be a spec that cannot fail.
/// </summary>
public static class TestServices
{
    public const string PostgresVariable = "ACTORSERVICE_TEST_POSTGRES";
    public const string RedisVariable = "ACTORSERVICE_TEST_REDIS";

    /// <summary>Connection string of the superuser on the private server (database "postgres").</summary>
    public static string Postgres => Require(PostgresVariable);

    /// <summary>StackExchange.Redis configuration of the private Redis (host:port).</summary>
    public static string Redis => Require(RedisVariable);

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set, and this spec needs the private PostgreSQL and Redis test servers. Start them with " +
                "'eval \"$(scripts/test-services.sh start)\"' in the shell that runs the tests (stop them with " +
                "'scripts/test-services.sh stop'), or run the whole suite with ./run-tests.sh, which does both.");

    /// <summary>Creates a fresh, empty database on the private server and returns its connection string.</summary>
    public static async Task<string> NewPostgresDatabase(string purpose)
    {
        var name = $"t_{purpose.ToLowerInvariant().Replace('-', '_')}_{Guid.NewGuid().ToString("N")[..10]}";
        await using (var admin = new NpgsqlConnection(Postgres))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ConnectionString;
    }

    /// <summary>Runs a query on a test database and returns the first column of every row.</summary>
    public static async Task<List<T>> Query<T>(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await r.ReadAsync()) rows.Add(r.GetFieldValue<T>(0));
        return rows;
    }

    /// <summary>A connection to a Redis server for test assertions (admin commands allowed).</summary>
    public static Task<ConnectionMultiplexer> ConnectRedis(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
