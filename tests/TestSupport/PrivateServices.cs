using System.Text.RegularExpressions;
using Npgsql;

namespace ActorService.TestSupport;

/// <summary>
/// A private PostgreSQL and Redis of one's own, started and stopped by <c>scripts/test-services.sh</c> (the one
/// PostgreSQL starter of the repository: the test command, the bench and the fault specs all use it). With
/// <paramref name="AlsoListen"/>, they listen on that address too (a network namespace bridge's), so nodes in
/// namespaces reach them.
/// </summary>
public sealed partial record PrivateServices(string Postgres, string Redis, string Directory, string? AlsoListen) : IAsyncDisposable
{
    public static string Script => Path.Combine(Repo.Root, "scripts", "test-services.sh");

    /// <param name="alsoListen">Listen on this address too (a network namespace bridge's).</param>
    /// <param name="redisAof">Redis logs every write and fsyncs it (<c>appendfsync always</c>), so a kill -9 loses nothing it acknowledged.</param>
    public static async Task<PrivateServices> StartAsync(string? alsoListen = null, bool redisAof = false)
    {
        string[] args = [Script, "start", .. alsoListen is null ? Array.Empty<string>() : ["--listen", alsoListen], .. redisAof ? ["--redis-aof"] : Array.Empty<string>()];
        var result = await Command.RunAsync("bash", args, TimeSpan.FromMinutes(3));
        if (!result.Ok) throw new InvalidOperationException($"scripts/test-services.sh start failed ({result.Code}): {result.Output}");
        return new PrivateServices(Export(result.Output, TestServices.PostgresVariable), Export(result.Output, TestServices.RedisVariable),
            Export(result.Output, "ACTORSERVICE_TEST_SERVICES_DIR"), alsoListen);
    }

    /// <summary>Stops PostgreSQL (fast shutdown: open sessions are cut, their transactions rolled back), as a database restart does.</summary>
    public Task StopPostgresAsync() => Fault("pg-stop");

    /// <summary>Starts PostgreSQL again on the same port with the same data.</summary>
    public Task StartPostgresAsync() => Fault("pg-start");

    /// <summary>kill -9 of Redis.</summary>
    public Task KillRedisAsync() => Fault("redis-kill");

    /// <summary>Starts Redis again on the same port with the same options (with <c>redisAof</c>, it reloads what it acknowledged).</summary>
    public Task StartRedisAsync() => Fault("redis-start");

    private async Task Fault(string what)
    {
        var result = await Command.RunAsync("bash", [Script, what, Directory], TimeSpan.FromMinutes(1));
        if (!result.Ok) throw new InvalidOperationException($"scripts/test-services.sh {what} failed ({result.Code}): {result.Output}");
    }

    /// <summary>The PostgreSQL connection string with <paramref name="host"/> instead of 127.0.0.1 (e.g. the bridge address).</summary>
    public string PostgresAt(string host) => new NpgsqlConnectionStringBuilder(Postgres) { Host = host }.ConnectionString;

    /// <summary>The Redis configuration with <paramref name="host"/> instead of 127.0.0.1.</summary>
    public string RedisAt(string host) => host + Redis[Redis.IndexOf(':')..];

    /// <summary>Creates an empty database and returns its connection string (at <paramref name="host"/>, 127.0.0.1 unless given).</summary>
    public async Task<string> NewDatabaseAsync(string name, string? host = null)
    {
        await using (var admin = new NpgsqlConnection(Postgres))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(host is null ? Postgres : PostgresAt(host)) { Database = name }.ConnectionString;
    }

    private static string Export(string output, string name) =>
        ExportLine().Matches(output).FirstOrDefault(m => m.Groups[1].Value == name)?.Groups[2].Value
        ?? throw new InvalidOperationException($"scripts/test-services.sh printed no {name}: {output}");

    [GeneratedRegex("""^export (\w+)="([^"]*)"$""", RegexOptions.Multiline)]
    private static partial Regex ExportLine();

    public async ValueTask DisposeAsync() => await Command.RunAsync("bash", [Script, "stop", Directory], TimeSpan.FromMinutes(1));
}
