using ActorService.Node.Config;
using Serilog.Core;

namespace ActorService.Node.Logging;

/// <summary>
/// SIGHUP re-reads the configuration file (under the same flags and environment) and applies what is safe to
/// change at runtime: the log level. Everything else needs a restart, which a rolling deploy makes free.
/// </summary>
internal sealed class LogLevelReloader(LoggingLevelSwitch level, NodeOptions options, ILogger<LogLevelReloader> logger)
{
    public void Reload(string trigger)
    {
        try
        {
            var config = HoconLoader.Load(options);
            var next = SerilogSetup.ParseLevel(config.GetString("actor-service.logging.level"));
            var previous = level.MinimumLevel;
            level.MinimumLevel = next;
            logger.LogWarning("{Trigger}: configuration re-read from {Path}; log level {Previous} -> {Level}",
                trigger, HoconLoader.ResolvePath(options), previous, next);
        }
        catch (ConfigurationException e)
        {
            logger.LogError("{Trigger}: configuration not reloaded, the file is invalid: {Error}", trigger, e.Message);
        }
    }
}
