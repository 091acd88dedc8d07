using ActorService.Node.Hosting;

// ActorService node: read flags, environment and hocon.conf, run until a drain ends, exit with the drain's code.
return await NodeRunner.RunAsync(args);
