using ActorService.Node.Config;
using ActorService.Node.Hosting;
using ActorService.Node.Logging;
using ActorService.Node.Shutdown;
using Serilog;
using Serilog.Core;

// ActorService node: parse flags, load hocon.conf, run until a drain ends, exit with the drain's code.
NodeOptions options;
Akka.Configuration.Config hocon;
NodeSettings settings;
try
{
    options = NodeOptions.Parse(args);
    if (options.HelpRequested)
    {
        Console.Out.Write(NodeOptions.Usage());
        return ExitCodes.Clean;
    }
    hocon = HoconLoader.Load(options);
    settings = NodeSettings.From(hocon);
    SerilogSetup.ParseLevel(settings.LogLevel);
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"actorservice: {e.Message}");
    return ExitCodes.BadConfiguration;
}

var level = new LoggingLevelSwitch(SerilogSetup.ParseLevel(settings.LogLevel));
Log.Logger = SerilogSetup.Create(level, settings.LogFormat);
try
{
    var app = NodeHost.Build(options, hocon, level);
    Log.Information("ActorService node {Cluster} starting: http://{Host}:{Port}, remoting {Remoting}, app-version {AppVersion}, flags [{Flags}]",
        settings.ClusterName, settings.Http.Host, settings.Http.Port,
        $"{hocon.GetString("akka.remote.dot-netty.tcp.hostname")}:{hocon.GetInt("akka.remote.dot-netty.tcp.port")}",
        settings.AppVersion, string.Join(" ", options.Describe()));
    var exitCode = app.Services.GetRequiredService<NodeExitCode>(); // RunAsync disposes the container
    await app.RunAsync();
    return exitCode.Value;
}
catch (ConfigurationException e)
{
    Log.Fatal("Bad configuration: {Error}", e.Message);
    return ExitCodes.BadConfiguration;
}
catch (ResourceStartException e)
{
    Log.Fatal("Cannot start: {Error}", e.Message);
    return ExitCodes.StartupFailed;
}
catch (Exception e)
{
    Log.Fatal(e, "The node failed");
    return ExitCodes.StartupFailed;
}
finally
{
    await Log.CloseAndFlushAsync();
}
