namespace ActorService.Node.Config;

/// <summary>How a flag's text becomes HOCON.</summary>
internal enum ValueKind { Text, Integer, Duration, Flag, SeedList, Raw }

/// <summary>One per-node or per-environment setting: a command-line flag, its environment variable and the HOCON path it sets.</summary>
internal sealed record Override(string Flag, string EnvVar, ValueKind Kind, string Description, params string[] HoconPaths)
{
    /// <summary>
    /// The key in the node's <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>: the variable's name
    /// without <see cref="Overrides.EnvPrefix"/> (<c>ACTORSERVICE_HTTP_PORT</c> → <c>HTTP_PORT</c>), which is the key the
    /// environment provider produces; the command line's switch mappings map the flag to the same key.
    /// </summary>
    public string Key => EnvVar[Overrides.EnvPrefix.Length..];

    /// <summary>Extra fixed HOCON applied when this override is present (e.g. --postgres also selects the postgres backend).</summary>
    public string? Implies { get; init; }
    /// <summary>Never log the value.</summary>
    public bool Secret { get; init; }
}

/// <summary>
/// Every flag the node accepts, in one table (docs/configuration.md lists it; <c>--help</c> prints it).
/// Command-line flags win over environment variables, which win over hocon.conf.
/// </summary>
internal static class Overrides
{
    /// <summary>Every variable of the node starts with this.</summary>
    public const string EnvPrefix = "ACTORSERVICE_";

    public static readonly IReadOnlyList<Override> All =
    [
        new("--config", "ACTORSERVICE_CONFIG", ValueKind.Text, "path of the HOCON file (default: hocon.conf next to the binary)"),
        new("--http-host", "ACTORSERVICE_HTTP_HOST", ValueKind.Text, "address the HTTP server listens on", "actor-service.http.host"),
        new("--http-port", "ACTORSERVICE_HTTP_PORT", ValueKind.Integer, "HTTP port", "actor-service.http.port"),
        new("--cluster-host", "ACTORSERVICE_CLUSTER_HOST", ValueKind.Text, "address Akka remoting binds to and advertises (the pod IP on Kubernetes)", "akka.remote.dot-netty.tcp.hostname"),
        new("--cluster-port", "ACTORSERVICE_CLUSTER_PORT", ValueKind.Integer, "Akka remoting port", "akka.remote.dot-netty.tcp.port"),
        new("--cluster-name", "ACTORSERVICE_CLUSTER_NAME", ValueKind.Text, "cluster (ActorSystem) name; nodes with another name cannot join", "actor-service.node.cluster-name"),
        new("--seeds", "ACTORSERVICE_SEEDS", ValueKind.SeedList, "seed nodes as host:port,host:port (default: the node itself)", "akka.cluster.seed-nodes"),
        new("--discovery", "ACTORSERVICE_DISCOVERY", ValueKind.Text, "how the node finds its cluster: seeds (the --seeds list) or kubernetes (Akka.Management bootstrap through the Kubernetes API)", "actor-service.cluster.discovery"),
        new("--management-port", "ACTORSERVICE_MANAGEMENT_PORT", ValueKind.Integer, "management listener port on the cluster host address: probes, admin, metrics and (with kubernetes discovery) Akka.Management bootstrap", "akka.management.http.port"),
        new("--k8s-pod-label-selector", "ACTORSERVICE_K8S_POD_LABEL_SELECTOR", ValueKind.Text, "label selector of this cluster's pods (kubernetes discovery)", "akka.discovery.kubernetes-api.pod-label-selector"),
        new("--required-contact-points", "ACTORSERVICE_REQUIRED_CONTACT_POINTS", ValueKind.Integer, "pods that must be discovered before a new cluster forms (kubernetes discovery)", "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"),
        new("--remoting-tls-cert", "ACTORSERVICE_REMOTING_TLS_CERT", ValueKind.Text, "node certificate for mutual TLS between nodes (PEM with --remoting-tls-key, or PKCS#12); turns remoting TLS on", "akka.remote.dot-netty.tcp.ssl.certificate.path")
            { Implies = "akka.remote.dot-netty.tcp.enable-ssl = on" },
        new("--remoting-tls-key", "ACTORSERVICE_REMOTING_TLS_KEY", ValueKind.Text, "PEM private key of the --remoting-tls-cert certificate", "actor-service.remoting-tls.key-file"),
        new("--remoting-tls-ca", "ACTORSERVICE_REMOTING_TLS_CA", ValueKind.Text, "PEM file of the CA certificates a peer's certificate must chain to (both CAs while rotating)", "actor-service.remoting-tls.ca-file"),
        new("--data-dir", "ACTORSERVICE_DATA_DIR", ValueKind.Text, "folder for the SQLite database and local state", "actor-service.db.data-dir"),
        new("--postgres", "ACTORSERVICE_POSTGRES", ValueKind.Text, "Npgsql connection string; selects PostgreSQL instead of SQLite", "actor-service.db.postgres.connection-string")
            { Secret = true, Implies = "actor-service.db.backend = postgres" },
        new("--redis", "ACTORSERVICE_REDIS", ValueKind.Text, "StackExchange.Redis configuration; selects the Redis cache and the Redis Streams event sink", "actor-service.redis.configuration")
            { Secret = true, Implies = "actor-service.cache.backend = redis\nactor-service.events.sink = redis" },
        new("--app-version", "ACTORSERVICE_APP_VERSION", ValueKind.Text, "release version; shards move to the newest version during a rolling update", "actor-service.node.app-version"),
        new("--admin-token", "ACTORSERVICE_ADMIN_TOKEN", ValueKind.Text, "bearer token for /admin/*", "actor-service.admin.token") { Secret = true },
        new("--admin-token-file", "ACTORSERVICE_ADMIN_TOKEN_FILE", ValueKind.Text, "file holding the admin token (a mounted Secret)", "actor-service.admin.token") { Secret = true },
        new("--lb-delay", "ACTORSERVICE_LB_DELAY", ValueKind.Duration, "time between readiness 503 and intake close", "actor-service.drain.lb-delay"),
        new("--report-path", "ACTORSERVICE_REPORT_PATH", ValueKind.Text, "file the JSON shutdown report is written to", "actor-service.drain.report-path"),
        new("--log-level", "ACTORSERVICE_LOG_LEVEL", ValueKind.Text, "Verbose, Debug, Information, Warning or Error", "actor-service.logging.level"),
        new("--log-format", "ACTORSERVICE_LOG_FORMAT", ValueKind.Text, "text or json", "actor-service.logging.format"),
        new("--allow-test-hooks", "ACTORSERVICE_ALLOW_TEST_HOOKS", ValueKind.Flag, "honour X-Test-Delay-Ms and /admin/test/* (test runs only)", "actor-service.testing.allow-test-hooks"),
        new("--hocon", "ACTORSERVICE_HOCON", ValueKind.Raw, "extra HOCON text applied over the file (for any setting without its own flag)"),
    ];

    public static Override? Find(string flag) => All.FirstOrDefault(o => o.Flag == flag);
}
