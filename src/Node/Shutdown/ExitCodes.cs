namespace ActorService.Node.Shutdown;

/// <summary>The node's process exit codes (also in the README).</summary>
public static class ExitCodes
{
    /// <summary>Drained cleanly: every accepted request answered, background work finished, resources closed in order.</summary>
    public const int Clean = 0;
    /// <summary>The node could not start (a resource could not be opened, a port was taken, an unexpected crash).</summary>
    public const int StartupFailed = 1;
    /// <summary>Bad command line or configuration.</summary>
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

    /// <summary>What Program returns; the shutdown report sets it.</summary>
    public static int Current { get; set; } = StartupFailed;
}
