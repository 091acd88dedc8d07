using ActorService.Node.Config;
using ActorService.Node.Shutdown;
using Serilog;

namespace ActorService.Node.Hosting;

/// <summary>
/// The process around the node: read the configuration (or print --help), build the host, run it until a drain ends,
/// and turn what happened into the exit code (<see cref="ExitCodes"/>).
/// </summary>
internal static class NodeRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var options = NodeOptions.Parse(args);
            if (options.HelpRequested)
            {
                Console.Out.Write(NodeOptions.Usage());
                return ExitCodes.Clean;
            }
            var app = NodeHost.Build(NodeConfiguration.Load(options));
            var exitCode = app.Services.GetRequiredService<NodeExitCode>(); // RunAsync disposes the container
            await app.RunAsync();
            return exitCode.Value;
        }
        catch (ConfigurationException e)
        {
            // Before the logger exists (a bad flag) the message goes to stderr; after, through the log as well.
            Console.Error.WriteLine($"actorservice: {e.Message}");
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
    }
}
