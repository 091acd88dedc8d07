using ActorService.Actors.Accounts;
using ActorService.Actors.Drain;
using ActorService.Actors.Resources.Cache;
using ActorService.Actors.Resources.Db;
using ActorService.Actors.Resources.Events;
using ActorService.Actors.Settings;
using ActorService.Node.Admin;
using ActorService.Node.Clustering;
using ActorService.Node.Config;
using ActorService.Node.Diagnostics;
using ActorService.Node.Health;
using ActorService.Node.Http;
using ActorService.Node.Logging;
using ActorService.Node.OpenApi;
using ActorService.Node.Shutdown;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Core;

namespace ActorService.Node.Hosting;

/// <summary>
/// Builds the node: configuration, logging, services, the Akka chain, the HTTP pipeline. The process
/// (<see cref="NodeRunner"/>) and in-process tests build it the same way, from a command line.
/// </summary>
internal static class NodeHost
{
    /// <summary>Builds the node from its command line and environment, as the process does.</summary>
    /// <exception cref="ConfigurationException">a bad flag, variable or setting (the process exits with 2).</exception>
    public static WebApplication Build(string[] args, NodeHostOptions? host = null) =>
        Build(NodeConfiguration.Load(NodeOptions.Parse(args, host?.Environment)), host);

    /// <summary>Builds the node from a configuration already read (the runner reads it first, to answer --help).</summary>
    public static WebApplication Build(NodeConfiguration config, NodeHostOptions? host = null)
    {
        host ??= new NodeHostOptions();
        var (node, limits, formation) = (config.Node, config.Limits, config.Formation);
        var level = new LoggingLevelSwitch(SerilogSetup.ParseLevel(node.LogLevel));
        var drainLog = new DrainLogContext(); // this node's: its logger stamps the node's own drain id
        var logger = SerilogSetup.Create(level, node.LogFormat, drainLog, host.Logging, host.Console);
        // Serilog's static logger: Akka.Logger.Serilog writes Akka's own lines through it, so it is the one thing of a node
        // that stays process-wide (two nodes in one test process: Akka's lines go to the last one built). Ours use the node's.
        Log.Logger = logger;
        logger.Information("HTTP limits: {Limits}", limits.Describe());
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // Our flags are read by NodeOptions; ASP.NET's own command-line binding stays out of it. The one setting
            // passed: no reload-on-change of appsettings files (the node has none), because that watcher covers the whole
            // content root, the working directory, where the data folder usually is: bench/ measured it at 9 % of the
            // node's CPU on SQLite writes, handling an inotify event for every WAL write.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            // null: the host's own rule (ASPNETCORE_ENVIRONMENT, else DOTNET_ENVIRONMENT, else Production).
            EnvironmentName = host.EnvironmentName,
        });
        // Test hooks delay writes and start stubborn background work on request: never in Production, the host's default
        // environment, whatever the configuration says.
        if (node.AllowTestHooks && (builder.Environment.IsProduction() || string.IsNullOrWhiteSpace(builder.Environment.EnvironmentName)))
            throw new Config.ConfigurationException("test hooks (--allow-test-hooks, ACTORSERVICE_ALLOW_TEST_HOOKS, actor-service.testing.allow-test-hooks) " +
                "are refused in the Production environment: set ASPNETCORE_ENVIRONMENT (or DOTNET_ENVIRONMENT) to another one, such as Testing, on test nodes only");
        // Serilog as a provider of the standard logger factory, which creates each category's logger once. (UseSerilog's
        // own factory builds a new logger, with its caches, at every CreateLogger, and ASP.NET Core's result executors
        // call CreateLogger on every request: bench/ measured it at 13 % of the node's allocations on reads.)
        // The factory passes everything through; Serilog's levels (and the SIGHUP-reloadable switch) decide.
        builder.Logging.ClearProviders().AddSerilog(logger, dispose: false).SetMinimumLevel(LogLevel.Trace);
        // A request's listener is told by its connection's local port (ListenerPorts): one port number for both would make
        // every request look like a management one, even if the two addresses differ.
        if (node.Http.Port == formation.ManagementPort)
            throw new Config.ConfigurationException($"--http-port and --management-port must differ (both are {node.Http.Port}): the management listener is told apart by its port");
        // Two listeners (src/Node/Http/Listener.cs): the public port for clients, the management port (always bound, on
        // the cluster host address) for probes, admin, metrics and bootstrap. Kestrel's MaxConcurrentConnections is
        // counted per listener, so the public port's 10,000 cannot starve the probes (HttpLimits.ApplyTo says why).
        builder.WebHost.UseUrls($"http://{node.Http.Host}:{node.Http.Port}", formation.ManagementUri.ToString());
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            limits.ApplyTo(k); // header, body, connection and data-rate limits (actor-service.http.limits)
        });
        builder.Services.AddSingleton(new ListenerPorts(node.Http.Port, formation.ManagementPort));
        var hocon = config.Hocon;
        // The host must outwait the whole drain: CoordinatedShutdown's phase timeouts are the real budget.
        builder.Services.Configure<HostOptions>(o =>
            o.ShutdownTimeout = ShutdownBudget.HostShutdownTimeout(hocon.WithFallback(ConfigurationFactory.Default())));

        var s = builder.Services;
        config.AddTo(s);
        s.AddSingleton(logger); // not disposed by the container: whoever built the host flushes it last
        s.AddSingleton(level).AddSingleton<LogLevelReloader>().AddSingleton(drainLog);
        s.AddSingleton<IntakeGate>().AddShutdownPlan();
        s.AddSingleton<BackgroundWorkTracker>().AddSingleton<IBackgroundWork>(sp => sp.GetRequiredService<BackgroundWorkTracker>());
        s.AddSingleton<ClusterHealth>().AddSingleton<AccountGateway>().AddSingleton<AdminAuth>();
        s.AddSingleton(new ShardStalls(config.Ledger.Accounts.ShardCount));
        s.AddNodeHealth();
        s.AddNodeMetrics(node);
        s.AddNodeProblemDetails(); // problem+json with our own relative types, also for an unhandled exception
        s.AddConcurrencyLimit(limits);
        s.AddNodeOpenApi(); // GET /openapi/v1.json (docs/api.md, "OpenAPI document")

        // Hosted services start in this order and stop in reverse: resources open before Akka starts.
        s.AddSingleton<LedgerResources>().AddHostedService(sp => sp.GetRequiredService<LedgerResources>());
        s.AddHostedService<HostShutdownBridge>();
        s.AddAkka(node.ClusterName, (akka, sp) =>
        {
            var resources = sp.GetRequiredService<LedgerResources>();
            // Akka gets the configuration with secrets masked: its config dump can never print one (Secrets). The
            // remoting TLS certificate, if any, is loaded here and handed over as a setup (RemotingTls).
            // Akka also gets no seed nodes: it would join them at once; the node joins them itself after the ledger check.
            akka.AddHocon(Secrets.Redact(LedgerCheckedJoin.WithoutSeedNodes(RemotingTls.WithoutCertificateFile(hocon))), HoconAddMode.Prepend)
                .WithRemotingTls(config.RemotingTls)
                .WithLedgerGate(() => (resources.Store.LedgerId, resources.Where), node.AppVersion, LedgerCheckedJoin.SeedNodes(hocon),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LedgerCheckedJoin)))
                .WithLedgerDb(resources.Store, config.Ledger.Db)
                .WithSnapshotCache(() => resources.Cache, config.Ledger.Cache.ReadTimeout)
                .WithEventPublisher(resources.Outbox, () => resources.Sink, config.Ledger.Events, sp.GetRequiredService<IBackgroundWork>())
                .WithAccountSharding(config.Ledger.Accounts)
                .WithClusterFormation(formation, LedgerCheckedJoin.SeedNodes(hocon), sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterFormation)))
                .WithActors((system, _) => sp.GetRequiredService<ShutdownPlan>().Register(system, ActorRegistry.For(system)))
                .WithActors((_, _) => sp.GetRequiredService<ClusterHealth>()) // watches membership from the start
                .WithPauseFence(sp.GetRequiredService<PauseFence>(), hocon.GetTimeSpan("actor-service.cluster.pause-fence.after"), hocon.GetTimeSpan("actor-service.cluster.pause-fence.confirm-within"));
        });
        // After Akka: it waits for member Up and the listener, then holds readiness at 503 "warming up" while it runs.
        s.AddSingleton<WarmUpTraffic>();
        s.AddHostedService<WarmUp>();
        s.AddHostedService<KeyCleanup>();
        s.AddHostedService(sp => sp.GetRequiredService<ShardStats>());

        var app = builder.Build();
        // The drain's timing rules (docs/drain.md): timings that do not nest stop the node here, before anything starts (exit code 2).
        DrainTimingRules.Enforce(hocon, app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        app.UseRequestLogging();     // first, so it sees every request's final status, refused ones included
        app.Services.GetRequiredService<WarmUpTraffic>().Exclude(app); // the node's own warm-up requests are not client traffic
        app.UseExceptionHandler();   // problem+json, never a stack trace
        app.UseStatusCodePages(Problems.WriteBareStatusAsync); // problem+json bodies for routing's bare 404/405
        app.UseMiddleware<ListenerRouting>();  // a route on the wrong listener is an unknown route (before anything counts or refuses it)
        // Before anything that does work: a draining node refuses first. Always on, except in bench/run.sh's
        // measurement of its cost (actor-service.http.intake-gate = off).
        if (node.Http.IntakeGate) app.UseMiddleware<IntakeGateMiddleware>();
        else logger.Warning("actor-service.http.intake-gate is off: requests are neither counted nor refused while draining (benchmark setting only)");
        app.UseMiddleware<PauseFenceMiddleware>();   // a node woken from a pause serves nothing until its membership is confirmed
        app.UseConcurrencyLimit();                   // then the per-node limit: 503 + Retry-After instead of a long queue
        app.MapHealthApi();
        app.MapLedgerApi();
        app.MapAdminApi();
        if (node.AllowTestHooks) app.MapTestHooksApi();
        app.MapMetricsApi();
        app.MapNodeOpenApi();
        if (formation.Management) app.MapBootstrapApi(); // Akka.Management's /bootstrap/seed-nodes (kubernetes discovery)
        logger.Information("ActorService node {Cluster} starting: http://{Host}:{Port}, management {Management}, remoting {Remoting}, app-version {AppVersion}, environment {Environment}, flags [{Flags}]",
            node.ClusterName, node.Http.Host, node.Http.Port, formation.ManagementUri,
            $"{hocon.GetString("akka.remote.dot-netty.tcp.hostname")}:{hocon.GetInt("akka.remote.dot-netty.tcp.port")}",
            node.AppVersion, app.Environment.EnvironmentName, string.Join(" ", config.Options.Describe()));
        return app;
    }
}
