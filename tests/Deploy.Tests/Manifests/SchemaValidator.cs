using System.Text.Json;

namespace ActorService.Deploy.Tests.Manifests;

/// <summary>
/// deploy/validate: Kubernetes schema validation with the npm package kubernetes-models, installed with `npm ci`
/// from the committed lockfile the first time a test needs it (the same versions on every machine and in CI).
/// </summary>
public static class SchemaValidator
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (InstalledMatchesLock()) return;
            var install = await Cli.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], DeployPaths.Validator, timeout: TimeSpan.FromMinutes(5));
            if (!install.Succeeded) throw new InvalidOperationException($"installing deploy/validate failed: {install}");
            if (!InstalledMatchesLock()) throw new InvalidOperationException("npm ci ran but kubernetes-models is still not installed at the locked version");
        }
        finally { InstallLock.Release(); }
    }

    /// <summary>Validates a stream of objects (YAML text); the result lists one line per problem.</summary>
    public static async Task<CliResult> ValidateAsync(string yaml)
    {
        await EnsureInstalledAsync();
        return await Cli.RunAsync("node", ["validate.js"], DeployPaths.Validator, stdin: yaml);
    }

    /// <summary>Every direct dependency of package.json is installed at the version the lockfile names.</summary>
    private static bool InstalledMatchesLock()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployPaths.Validator, "package.json")));
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployPaths.Validator, "package-lock.json")));
        foreach (var dependency in manifest.RootElement.GetProperty("dependencies").EnumerateObject())
        {
            var installed = Path.Combine(DeployPaths.Validator, "node_modules", dependency.Name, "package.json");
            if (!File.Exists(installed)) return false;
            using var package = JsonDocument.Parse(File.ReadAllText(installed));
            var locked = lockFile.RootElement.GetProperty("packages").GetProperty($"node_modules/{dependency.Name}").GetProperty("version").GetString();
            if (locked != package.RootElement.GetProperty("version").GetString()) return false;
        }
        return true;
    }
}
