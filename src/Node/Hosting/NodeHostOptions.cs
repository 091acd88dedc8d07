using Serilog;

namespace ActorService.Node.Hosting;

/// <summary>
/// What a node built in-process (a test's host) may set that the process takes from its surroundings. Everything
/// else, ports and storage included, comes from the command line exactly as for the process.
/// </summary>
internal sealed record NodeHostOptions
{
    /// <summary>The <c>ACTORSERVICE_*</c> variables by name; null reads the process environment.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>The host environment (Production, Development, Testing…); null follows the host's own rule:
    /// <c>ASPNETCORE_ENVIRONMENT</c>, else <c>DOTNET_ENVIRONMENT</c>, else Production.</summary>
    public string? EnvironmentName { get; init; }

    /// <summary>Lines to standard output, as the process writes them; an in-process test host keeps them instead.</summary>
    public bool Console { get; init; } = true;

    /// <summary>Extra Serilog configuration, e.g. a sink that keeps the lines for a test to read.</summary>
    public Action<LoggerConfiguration>? Logging { get; init; }
}
