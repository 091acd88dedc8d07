using Akka.Configuration;

namespace ActorService.Node.Config;

/// <summary>
/// <c>actor-service.http</c>: where the node listens and how long a request may take. <paramref name="IntakeGate"/> is
/// off only in the benchmark that measures what the gate and request tracking cost.
/// </summary>
internal sealed record HttpSettings(string Host, int Port, TimeSpan AskTimeout, TimeSpan ResendWhenUnsettled, TimeSpan RequestTimeout, int MaxBodyBytes,
    bool IntakeGate = true)
{
    /// <summary>While a member is unreachable, a request unanswered this long is answered at once (504 / 503 + Retry-After).</summary>
    public TimeSpan UnreachableTimeout { get; init; } = RequestTimeout;
}

/// <summary><c>actor-service.drain</c>: the numbers of the cooperative drain.</summary>
internal sealed record DrainSettings(
    TimeSpan LbDelay,
    TimeSpan RetryAfter,
    TimeSpan RefuseWindow,
    TimeSpan RequestDeadline,
    TimeSpan BackgroundDeadline,
    TimeSpan CancelGrace,
    TimeSpan ResourceCloseTimeout,
    IReadOnlyList<string> CloseOrder,
    TimeSpan PhaseMargin,
    string ReportPath)
{
    /// <summary>How long the drain waits for the coordinator to move this node's shards away before the region hands off the rest.</summary>
    public TimeSpan ShardMoveDeadline { get; init; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// <c>actor-service.warm-up</c>: what a node does between joining and reporting ready (Hosting/WarmUp.cs).
/// <paramref name="Deadline"/> bounds the whole warm-up.
/// </summary>
internal sealed record WarmUpSettings(bool Enabled, TimeSpan Deadline, int Concurrency, int StoreReads);

/// <summary>The host's slice of <c>actor-service { }</c>, read from the same HOCON the ActorSystem gets.</summary>
internal sealed record NodeSettings(
    string ClusterName,
    string AppVersion,
    HttpSettings Http,
    DrainSettings Drain,
    string AdminToken,
    string LogLevel,
    string LogFormat,
    bool AllowTestHooks,
    WarmUpSettings WarmUp)
{
    public static NodeSettings From(Akka.Configuration.Config root)
    {
        var s = root.GetConfig("actor-service");
        return new NodeSettings(
            ClusterName: s.GetString("node.cluster-name"),
            AppVersion: root.GetString("akka.cluster.app-version"),
            Http: new HttpSettings(
                s.GetString("http.host"),
                s.GetInt("http.port"),
                s.GetTimeSpan("http.ask-timeout"),
                s.GetTimeSpan("http.resend-when-unsettled"),
                s.GetTimeSpan("http.request-timeout"),
                s.GetInt("http.max-body-bytes"),
                s.GetBoolean("http.intake-gate", true))
            {
                UnreachableTimeout = s.GetTimeSpan("http.unreachable-timeout"),
            },
            Drain: new DrainSettings(
                s.GetTimeSpan("drain.lb-delay"),
                s.GetTimeSpan("drain.retry-after"),
                s.GetTimeSpan("drain.refuse-window"),
                s.GetTimeSpan("drain.request-deadline"),
                s.GetTimeSpan("drain.background-deadline"),
                s.GetTimeSpan("drain.cancel-grace"),
                s.GetTimeSpan("drain.resource-close-timeout"),
                s.GetStringList("drain.close-order").ToList(),
                s.GetTimeSpan("drain.phase-margin"),
                s.GetString("drain.report-path", ""))
            {
                ShardMoveDeadline = s.GetTimeSpan("drain.shard-move-deadline"),
            },
            AdminToken: s.GetString("admin.token", ""),
            LogLevel: s.GetString("logging.level"),
            LogFormat: s.GetString("logging.format"),
            AllowTestHooks: s.GetBoolean("testing.allow-test-hooks"),
            WarmUp: new WarmUpSettings(
                s.GetBoolean("warm-up.enabled"),
                s.GetTimeSpan("warm-up.deadline"),
                s.GetInt("warm-up.concurrency"),
                s.GetInt("warm-up.store-reads")));
    }
}
