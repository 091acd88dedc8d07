using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ActorService.Bench.Infra;

/// <summary>
/// A private PostgreSQL server for one scenario: loopback, a free port, a temporary folder, fsync on (the numbers
/// must be durable ones). Started by the repository's <c>scripts/test-services.sh</c> when it exists, otherwise
/// the same way by hand (initdb and pg_ctl as the <c>postgres</c> OS user, since the server refuses to run as root).
/// </summary>
internal sealed partial class PrivatePostgres : IAsyncDisposable
{
    private readonly BenchContext _bench;
    private readonly string _dir;
    private readonly bool _byScript;
    private readonly string _pidFile;

    private PrivatePostgres(BenchContext bench, string dir, bool byScript, string connectionString, int postmasterPid)
    {
        _bench = bench;
        _dir = dir;
        _byScript = byScript;
        ConnectionString = connectionString;
        _pidFile = Path.Combine(bench.PidDir, postmasterPid.ToString());
        File.WriteAllText(_pidFile, "postgres");
    }

    /// <summary>Npgsql connection string of the superuser, database <c>postgres</c>.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync(BenchContext bench)
    {
        var script = Path.Combine(bench.Repo, "scripts", "test-services.sh");
        string dir, connection;
        var byScript = File.Exists(script);
        if (byScript)
        {
            var output = await Run("bash", [script, "start"]);
            connection = Export(output, "ACTORSERVICE_TEST_POSTGRES");
            dir = Export(output, "ACTORSERVICE_TEST_SERVICES_DIR");
        }
        else
        {
            dir = Directory.CreateTempSubdirectory("actorservice-bench-pg.").FullName;
            await Run("chown", ["postgres:postgres", dir]);
            var port = bench.FreePort();
            await AsPostgres(Bin("initdb"), "-D", $"{dir}/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8");
            await AsPostgres(Bin("pg_ctl"), "-D", $"{dir}/data", "-l", $"{dir}/server.log", "-w", "-t", "60", "-o",
                $"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={dir} -c max_connections=300 -c shared_buffers=64MB", "start");
            connection = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
        }
        var dataDir = byScript ? Path.Combine(dir, "pg", "data") : Path.Combine(dir, "data");
        var pid = int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First());
        bench.Log($"private PostgreSQL {(byScript ? "(scripts/test-services.sh)" : "(initdb)")}: {connection}, postmaster {pid}");
        return new PrivatePostgres(bench, dir, byScript, connection, pid);
    }

    /// <summary>Creates a database and returns the connection string that uses it.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var port = PortPattern().Match(ConnectionString).Groups[1].Value;
        await Run(Bin("psql"), ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", $"CREATE DATABASE {name}"]);
        return ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_byScript) await Run("bash", [Path.Combine(_bench.Repo, "scripts", "test-services.sh"), "stop", _dir]);
            else
            {
                await AsPostgres(Bin("pg_ctl"), "-D", $"{_dir}/data", "-m", "fast", "-w", "-t", "30", "stop");
                Directory.Delete(_dir, recursive: true);
            }
        }
        finally
        {
            File.Delete(_pidFile);
        }
    }

    private static string Bin(string tool) =>
        Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin", tool)).LastOrDefault(File.Exists)
        ?? throw new BenchFailure($"PostgreSQL's {tool} is not installed (apt-get install postgresql)");

    private static Task<string> AsPostgres(params string[] command) =>
        Environment.UserName == "root" ? Run("runuser", ["-u", "postgres", "--", .. command]) : Run(command[0], command[1..]);

    private static string Export(string output, string name) =>
        Regex.Match(output, $"export {name}=\"([^\"]*)\"").Groups[1].Value is { Length: > 0 } v ? v
            : throw new BenchFailure($"scripts/test-services.sh start printed no {name}:\n{output}");

    private static async Task<string> Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new BenchFailure($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (p.ExitCode != 0) throw new BenchFailure($"{file} {string.Join(' ', args)} exited with {p.ExitCode}:\n{output}");
        return output;
    }

    [GeneratedRegex(@"Port=(\d+)")]
    private static partial Regex PortPattern();
}
