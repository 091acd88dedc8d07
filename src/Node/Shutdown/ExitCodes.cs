namespace ActorService.Node.Shutdown;

/// <summary>The node's process exit codes (docs/drain.md lists them; a test checks the list).</summary>
public static class ExitCodes
{
    /// <summary>Drained cleanly: every accepted request answered, background work finished, resources closed in order.</summary>
    public const int Clean = 0;
    /// <summary>
    /// The node could not start (a resource could not be opened, a port was taken, an unexpected crash), or it stopped by
    /// itself before it ever joined the cluster, nobody having asked (its remoting TLS handshake refused by the cluster).
    /// </summary>
    public const int StartupFailed = 1;
    /// <summary>Bad command line or configuration, including drain timings that break a timing rule.</summary>
    public const int BadConfiguration = 2;
    /// <summary>Drained, but a deadline was hit: some work was cancelled or abandoned (named in the shutdown report).</summary>
    public const int DeadlineHit = 3;
    /// <summary>The cluster downed this node (split brain resolver, or an operator's Down); it drained what it could.</summary>
    public const int Downed = 4;
    /// <summary>
    /// Refused by the cluster: this node's database holds another ledger than the cluster's (a wrong --data-dir or
    /// --postgres). It did not join, so it never hosted a shard; it drained what little it had and exited.
    /// </summary>
    public const int LedgerMismatch = 5;
}

/// <summary>
/// The code the process exits with, a service in the host's container: the end of the drain sets it from the shutdown
/// report, Program returns it after the host stopped. Until a drain has finished it says the node failed to start.
/// </summary>
public sealed class NodeExitCode
{
    private volatile int _value = ExitCodes.StartupFailed;

    public int Value => _value;

    public void Set(int code) => _value = code;
}
